/**
 * Dotted-quad IPv4 helpers for the loopback network of the embedded cluster. Addresses are kept as
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
