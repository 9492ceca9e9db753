import { isIP } from 'node:net';
import { UsageError } from '../../core/index.js';

/** The Service CIDR of the real control plane: RFC 2544's benchmarking range, never a real network's. */
export const defaultServiceCIDR = '198.19.0.0/16';
/** Pod addresses, one /24 per node: the upper half of 198.18.0.0/15's first /16. */
export const defaultClusterCIDR = '198.18.128.0/17';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses an IPv4 CIDR (this control plane is single-stack IPv4); a UsageError names the option. */
export function parseCIDR(cidr: string, option: string): { network: number; bits: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const bits = m ? Number(m[2]) : NaN;
  if (!m || isIP(m[1]!) !== 4 || !(bits >= 1 && bits <= 30)) {
    throw new UsageError(`${option}: not an IPv4 CIDR: ${cidr}`, { hint: `e.g. ${option === 'serviceCIDR' ? defaultServiceCIDR : defaultClusterCIDR}` });
  }
  const size = 2 ** (32 - bits);
  return { network: Math.floor(ipv4ToInt(m[1]!) / size) * size, bits };
}

/** The API server's Service IP (`kubernetes.default`): the first address of the Service CIDR. */
export function firstServiceIP(serviceCIDR: string): string {
  return intToIpv4(parseCIDR(serviceCIDR, 'serviceCIDR').network + 1);
}

/** The names and addresses the API server's certificate must hold for every way a client reaches it. */
export function apiserverSANs(bindHost: string, extraSANs: readonly string[], serviceCIDR: string): { dnsNames: string[]; ips: string[] } {
  const dnsNames = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const ips = ['127.0.0.1', firstServiceIP(serviceCIDR)];
  for (const san of [bindHost, ...extraSANs]) {
    const list = isIP(san) ? ips : dnsNames;
    if (!list.includes(san)) list.push(san);
  }
  return { dnsNames, ips };
}

/** `https://host:port`, with IPv6 hosts bracketed. */
export function httpsURL(host: string, port: number): string {
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Whether the API server may advertise `host` in the `kubernetes` Service's endpoints (never a loopback address). */
export function advertisable(host: string): boolean {
  return !(isIP(host) === 4 ? host.startsWith('127.') : host === '::1' || host === 'localhost');
}
