import type net from 'node:net';
import { UsageError } from '../../core/index.js';
import type { BrokerClient } from './broker-client.js';
import { ip, namespacePids } from './ip.js';
import { checkExtraAddress, FABRIC_PREFIX_LENGTH } from './plan.js';

/** How long Netns.connect waits by default (Linux itself retries a SYN for about two minutes). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * One network namespace of a fabric: the hub, or a node. Servers and sockets come from its broker, so
 * they live in the namespace while the caller (in the root namespace) owns them.
 */
export interface Netns {
  /** the namespace's name (`crt-<id>-hub`, `crt-<id>-n<i>`), for `ip netns exec` and `ip -n` */
  readonly name: string;
  /** its own address: 198.18.0.1 for the hub, 198.18.0.<10+i> for node i */
  readonly address: string;
  /** Adds a /15 address (a pod IP on a node, a ClusterIP on the hub); every other namespace reaches it at once. */
  addAddress(ip: string): Promise<void>;
  /** Removes an address addAddress added. */
  removeAddress(ip: string): Promise<void>;
  /**
   * Pulls (false) or plugs back (true) the node's cable: while down, its packets are dropped both ways
   * without an answer (no RST, no ICMP), so established connections hang and new ones time out.
   */
  setLink(up: boolean): Promise<void>;
  readonly linkUp: boolean;
  /** The command that runs `file args` inside this namespace, to spawn as the caller likes. */
  command(file: string, args: string[]): { file: string; args: string[] };
  /** A server listening on host:port inside this namespace (port 0: any free port). */
  listen(host: string, port: number): Promise<net.Server>;
  /** A connection to host:port made from inside this namespace; fails with ETIMEDOUT after `timeoutMs`. */
  connect(host: string, port: number, timeoutMs?: number): Promise<net.Socket>;
  /** Pids of every process in the namespace (its broker's included). */
  pids(): Promise<number[]>;
}

/** What a namespace needs of its fabric: the other namespaces learn of its addresses through it. */
export interface NeighborBook {
  /** Runs `change` once every earlier change of the fabric (a node, an address) is done. */
  serialize<T>(change: () => Promise<T>): Promise<T>;
  /** The namespace holding `address`, if any. */
  holder(address: string): Namespace | undefined;
  announce(owner: Namespace, address: string): Promise<void>;
  withdraw(owner: Namespace, address: string): Promise<void>;
}

export interface NamespaceSpec {
  name: string;
  address: string;
  /** the device holding its addresses (`crt0` on the hub, `eth0` on a node) */
  device: string;
  mac: string;
  /** its cable: the hub-side veth end (`v<i>`), absent for the hub */
  hubPort?: { namespace: string; device: string };
}

export class Namespace implements Netns {
  readonly name: string;
  readonly address: string;
  readonly device: string;
  readonly mac: string;
  /** every address of the namespace, its own first */
  readonly addresses: string[];
  private up = true;

  constructor(private readonly spec: NamespaceSpec, readonly broker: BrokerClient, private readonly book: NeighborBook) {
    this.name = spec.name;
    this.address = spec.address;
    this.device = spec.device;
    this.mac = spec.mac;
    this.addresses = [spec.address];
  }

  get linkUp(): boolean {
    return this.up;
  }

  async addAddress(address: string): Promise<void> {
    checkExtraAddress(address);
    await this.book.serialize(async () => {
      const holder = this.book.holder(address);
      if (holder === this) return;
      if (holder) throw new UsageError(`address ${address} is held by namespace ${holder.name} already`);
      await ip(['-n', this.name, 'addr', 'add', `${address}/${FABRIC_PREFIX_LENGTH}`, 'dev', this.device]);
      this.addresses.push(address);
      await this.book.announce(this, address);
    });
  }

  async removeAddress(address: string): Promise<void> {
    if (address === this.address) throw new UsageError(`${address} is the own address of namespace ${this.name}`, { hint: 'only addresses added with addAddress can be removed' });
    await this.book.serialize(async () => {
      if (!this.addresses.includes(address)) return;
      await this.book.withdraw(this, address);
      await ip(['-n', this.name, 'addr', 'del', `${address}/${FABRIC_PREFIX_LENGTH}`, 'dev', this.device]);
      this.addresses.splice(this.addresses.indexOf(address), 1);
    });
  }

  async setLink(up: boolean): Promise<void> {
    const port = this.spec.hubPort;
    if (!port) throw new UsageError(`namespace ${this.name} is the hub: it has no cable of its own`, { hint: 'take a node\'s link down instead' });
    await ip(['-n', port.namespace, 'link', 'set', port.device, up ? 'up' : 'down']);
    this.up = up;
  }

  command(file: string, args: string[]): { file: string; args: string[] } {
    return { file: 'ip', args: ['netns', 'exec', this.name, file, ...args] };
  }

  listen(host: string, port: number): Promise<net.Server> {
    return this.broker.listen(host, port);
  }

  connect(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<net.Socket> {
    return this.broker.connect(host, port, timeoutMs);
  }

  pids(): Promise<number[]> {
    return namespacePids(this.name);
  }
}
