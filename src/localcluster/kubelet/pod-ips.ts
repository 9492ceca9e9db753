import { EnvironmentError, formatIPv4, parseIPv4 } from '../../core/index.js';

/**
 * Pod IPs from the node's podCIDR, handed out as the CNI host-local IPAM plugin does: never the network
 * or broadcast address nor the gateway (the first address), round-robin after the last one given so
 * that a replacement pod does not get an address whose old connections are still in flight.
 * Only the project's own ranges are accepted: 127.0.0.0/8 (loopback) and 198.18.0.0/15 (RFC 2544,
 * benchmarking), so that no pod ever takes an address that exists on a real network.
 */
export class PodAddresses {
  readonly cidr: string;
  private readonly first: number;
  private readonly last: number;
  private cursor: number;
  private readonly inUse = new Set<number>();

  constructor(cidr: string) {
    const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
    const base = match ? parseIPv4(match[1]!) : null;
    const prefix = match ? Number(match[2]) : NaN;
    const where = { hint: 'pod CIDRs come from 127.0.0.0/8 or 198.18.0.0/15, with room for a gateway and pods (/30 or larger)' };
    if (base === null || !(prefix >= 8 && prefix <= 30)) throw new EnvironmentError(`kubelet: invalid podCIDR ${cidr}: expected a.b.c.d/n with n from 8 to 30`, where);
    const size = 2 ** (32 - prefix);
    if (base % size !== 0) throw new EnvironmentError(`kubelet: invalid podCIDR ${cidr}: host bits are set`, where);
    const inLoopback = base >>> 24 === 127;
    const inBenchmark = base >>> 17 === (198 * 256 + 18) >>> 1 && prefix >= 15;
    if (!inLoopback && !inBenchmark) throw new EnvironmentError(`kubelet: podCIDR ${cidr} is outside 127.0.0.0/8 and 198.18.0.0/15`, where);
    this.cidr = cidr;
    // network address, gateway, broadcast
    this.first = base + 2;
    this.last = base + size - 2;
    this.cursor = this.first;
  }

  /** The gateway: the podCIDR's first address, never given to a pod. */
  get gateway(): string {
    return formatIPv4(this.first - 1);
  }

  /** The next free address after the last one handed out; throws when every one is in use. */
  allocate(): string {
    const count = this.last - this.first + 1;
    for (let i = 0; i < count; i++) {
      const n = this.cursor;
      this.cursor = n >= this.last ? this.first : n + 1;
      if (this.inUse.has(n) || n >>> 0 === 0x7f000001) continue; // 127.0.0.1 is the host's own
      this.inUse.add(n);
      return formatIPv4(n);
    }
    throw new EnvironmentError(`kubelet: no free pod IP in ${this.cidr}: all ${this.inUse.size} are in use`, { hint: 'delete pods from this node, or give it a larger podCIDR' });
  }

  /** Gives an address back; false when it was not in use (teardown may repeat). */
  release(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== null && this.inUse.delete(n);
  }

  get size(): number {
    return this.inUse.size;
  }
}
