import { isIPv4 } from 'node:net';
import { UsageError } from '../../core/index.js';

/**
 * The address plan of a fabric. Its addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544),
 * which no real network uses, and exist only inside the namespaces crt creates: never in the root one.
 *
 *   hub `crt-<id>-hub`: bridge `crt0` 198.18.0.1/15 (the control plane; ClusterIPs may join it)
 *   node i `crt-<id>-n<i>`: `eth0` 198.18.0.<10+i>/15, its pods as more /15 addresses on eth0,
 *     the other end of its veth `v<i>` a port of the hub's bridge
 */

export const FABRIC_PREFIX_LENGTH = 15;
export const HUB_ADDRESS = '198.18.0.1';
export const BRIDGE = 'crt0';
export const NODE_DEVICE = 'eth0';
/** the last node index: its address, 198.18.0.255, is the last of the node block */
export const MAX_NODE_INDEX = 245;

/** fabric ids make namespace names and a file name: short, lowercase, no separators of their own */
const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** `crt-<id>-hub` or `crt-<id>-n<i>`; the suffix is the last dash-separated part, so an id may hold dashes */
const NAMESPACE = /^crt-([a-z0-9][a-z0-9-]{0,39})-(hub|n(\d{1,3}))$/;

export function checkFabricId(id: string): void {
  if (!ID.test(id)) throw new UsageError(`invalid fabric id "${id}"`, { hint: 'use 1 to 40 characters of a-z, 0-9 and -, starting with a letter or digit' });
}

export function checkNodeIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_NODE_INDEX) {
    throw new UsageError(`invalid node index ${index}`, { hint: `a node index is an integer from 0 to ${MAX_NODE_INDEX} (node i gets 198.18.0.<10+i>)` });
  }
}

export function hubNamespace(id: string): string {
  return `crt-${id}-hub`;
}

export function nodeNamespace(id: string, index: number): string {
  return `crt-${id}-n${index}`;
}

/** The fabric id and role of a namespace name of ours, or undefined for any other name. */
export function parseNamespace(name: string): { id: string; node?: number } | undefined {
  const m = NAMESPACE.exec(name);
  if (!m) return undefined;
  return m[3] === undefined ? { id: m[1]! } : { id: m[1]!, node: Number(m[3]) };
}

export function nodeAddress(index: number): string {
  checkNodeIndex(index);
  return `198.18.0.${10 + index}`;
}

/** The hub-side end of node `index`'s veth (a port of the bridge, in the hub namespace). */
export function hubPort(index: number): string {
  return `v${index}`;
}

/**
 * Fixed, locally administered unicast MACs: every namespace holds permanent neighbor entries for the
 * others' addresses, so a device's MAC must not change under them (a bridge takes its lowest port's
 * MAC unless it is given one).
 */
export function hubMac(): string {
  return '02:c7:00:00:00:01';
}

export function nodeMac(index: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02:c7:00:01:${hex(index >> 8)}:${hex(index & 255)}`;
}

/** Whether `ip` is a dotted quad in 198.18.0.0/15, the only range a fabric may use. */
export function isFabricAddress(ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const [a, b] = ip.split('.').map(Number);
  return a === 198 && (b === 18 || b === 19);
}

/** Checks an address given to addAddress: in 198.18.0.0/15, and not in 198.18.0.0/24, the hub's and the nodes' block. */
export function checkExtraAddress(ip: string): void {
  if (!isFabricAddress(ip)) throw new UsageError(`address ${ip} is outside 198.18.0.0/15`, { hint: 'a namespace fabric only uses the benchmarking range 198.18.0.0/15 (RFC 2544)' });
  if (ip.startsWith('198.18.0.')) throw new UsageError(`address ${ip} is in 198.18.0.0/24, kept for the hub and the nodes`, { hint: 'take pod addresses from 198.18.1.0 up, ClusterIPs from 198.19.0.0/16' });
}
