import { randomBytes, randomUUID } from 'node:crypto';

// The alphabet apimachinery uses for generated name suffixes (no vowels, no confusable characters).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 random characters, as the API server completes it. */
export function completeGeneratedName(prefix: string, length = 5): string {
  const bytes = randomBytes(length);
  let suffix = '';
  for (const b of bytes) suffix += ALPHABET[b % ALPHABET.length];
  return prefix + suffix;
}

export function newUid(): string {
  return randomUUID();
}

/** RFC 3339 with second precision, the form `metadata.creationTimestamp` has. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds, the form of `MicroTime` fields (events' eventTime, leases). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Deep-freezes a stored object: watchers and readers share it, so nobody may change it in place. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
