import { BlockList } from 'node:net';
import type { ConnectionInfo, Gate, ServiceProxy } from './service-proxy.js';

/**
 * What a lost node does to the traffic that still tries to reach it. `drop`: its packets are dropped,
 * as on a real network: established connections hang and new ones are never answered, so each
 * client waits for its own timeout. `reset`: every connection gets an instant TCP reset, a kinder
 * network than any real one (the embedded cluster's former behaviour).
 */
export type NodeLossTraffic = 'drop' | 'reset';

/**
 * The network links of the embedded nodes. A node whose link is down is partitioned: its machine
 * (pod processes, its kubelet's probes) keeps running, but no connection crosses between it and the
 * rest of the cluster or the outside. Every Service proxy and pod gate admits connections through
 * `gate()`, so one decision covers Service traffic, node ports and direct pod-IP traffic alike:
 * a connection whose caller or backend is on a partitioned node, and whose other end is not on
 * that same node, is dropped (the caller waits for its own timeout, as with lost packets).
 * Addresses are matched by range (the node's address, its pod CIDR, its pods' private CIDR), not
 * through the API: the partition is physical, and holds for a pod the API has forgotten too.
 */
export class NodeLinks {
  /** node name → the addresses its machine owns, for the nodes whose link is down */
  readonly #down = new Map<string, BlockList>();
  /** connections the gate dropped (held until their clients give up): a cut leaves them held */
  readonly #held = new WeakSet<ConnectionInfo>();

  /**
   * `proxies` lists every Service proxy and pod gate proxy now open, for the established connections;
   * `traffic` says whether those across a partition are black-holed (default) or reset.
   */
  constructor(private readonly proxies: () => Iterable<ServiceProxy>, readonly traffic: NodeLossTraffic = 'drop') {}

  /**
   * Takes a node's link down: from now on its `ranges` (CIDRs, or single addresses) are partitioned,
   * and the established connections across the partition are black-holed (or reset, with traffic
   * `reset`). Returns how many. Taking a link down twice changes nothing.
   */
  down(node: string, ranges: readonly string[]): number {
    if (this.#down.has(node)) return 0;
    const owned = new BlockList();
    for (const range of ranges) {
      const [address, bits] = range.split('/') as [string, string | undefined];
      if (bits === undefined) owned.addAddress(address, 'ipv4');
      else owned.addSubnet(address, Number(bits), 'ipv4');
    }
    this.#down.set(node, owned);
    const crosses = (conn: ConnectionInfo): boolean => !this.#held.has(conn) && this.severed(conn.srcIp, conn.backend.ip);
    let count = 0;
    for (const proxy of this.proxies()) count += this.traffic === 'drop' ? proxy.blackHole(crosses) : proxy.cut(crosses);
    return count;
  }

  /**
   * Brings a node's link back: new connections cross again, and the established ones it black-holed
   * resume (what their ends sent meanwhile is delivered) unless `stillBlocked` says something else
   * drops them; those the gate dropped when new stay held. Returns how many resumed.
   */
  up(node: string): number {
    if (!this.#down.delete(node)) return 0;
    const free = (conn: ConnectionInfo): boolean => !this.severed(conn.srcIp, conn.backend.ip) && !this.stillBlocked(conn);
    let count = 0;
    for (const proxy of this.proxies()) count += proxy.resume(free);
    return count;
  }

  /** Whether something other than a lost node drops a connection's packets (a CNI dropping a denied flow); set by the cluster. */
  stillBlocked: (conn: ConnectionInfo) => boolean = () => false;

  /** Whether `gate()` dropped this connection: it is held until its client gives up, and no cut resets it. */
  readonly holds = (conn: ConnectionInfo): boolean => this.#held.has(conn);

  isDown(node: string): boolean {
    return this.#down.has(node);
  }

  /** Whether a connection from `srcIp` to `dstIp` crosses the edge of a partitioned node. */
  severed(srcIp: string, dstIp: string): boolean {
    if (this.#down.size === 0) return false;
    const from = this.#nodeOf(srcIp);
    const to = this.#nodeOf(dstIp);
    return (from !== undefined || to !== undefined) && from !== to;
  }

  /**
   * `inner` (the NetworkPolicy gate) behind the partition: a connection the partition severs is
   * dropped before any policy is asked.
   */
  gate(inner: Gate): Gate {
    return (conn) => {
      const verdict = this.severed(conn.srcIp, conn.backend.ip) ? 'drop' : inner(conn);
      if (verdict === 'drop') this.#held.add(conn);
      return verdict;
    };
  }

  #nodeOf(ip: string): string | undefined {
    for (const [node, owned] of this.#down) if (owned.check(ip, 'ipv4')) return node;
    return undefined;
  }
}
