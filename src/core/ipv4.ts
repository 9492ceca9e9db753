/**
 * Dotted-quad IPv4 helpers for the loopback network of the embedded cluster (and its NetworkPolicy
 * validation). Addresses are kept as
 * unsigned 32-bit numbers so that ranges are plain integer intervals.
 */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The address as an unsigned 32-bit number, or null when `text` is not a dotted quad. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Whether `ip` is in 127.0.0.0/8, which Linux routes to `lo` as a whole. */
export function isLoopbackIPv4(ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== null && n >>> 24 === 127;
}

/** `::ffff:127.1.2.3` → `127.1.2.3`: a dual-stack listener reports IPv4 peers in mapped form. */
export function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && parseIPv4(address.slice(7)) !== null ? address.slice(7) : address;
}

/**
 * The address at the same offset in `toCidr` as `ip` has in its own block of that size:
 * `127.10.2.7` with `127.11.0.0/16` → `127.11.2.7`. Null when `ip` or `toCidr` is not IPv4.
 */
export function sameOffsetIn(ip: string, toCidr: string): string | null {
  const n = parseIPv4(ip);
  const [base, bits] = toCidr.split('/');
  const to = parseIPv4(base ?? '');
  const prefix = Number(bits);
  if (n === null || to === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  return formatIPv4(to - (to % size) + (n % size));
}

/** An interval of addresses, both ends included. */
export interface Range { readonly lo: number; readonly hi: number }

/** `10.0.0.0/8` as an integer interval; null when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string): Range | null {
  const [addr = '', bitsText, extra] = cidr.split('/');
  const base = parseIPv4(addr);
  const bits = Number(bitsText);
  if (base === null || extra !== undefined || !/^\d{1,2}$/.test(bitsText ?? '') || bits > 32) return null;
  const size = 2 ** (32 - bits);
  const lo = base - (base % size);
  return { lo, hi: lo + size - 1 };
}
