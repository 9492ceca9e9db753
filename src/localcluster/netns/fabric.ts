import { EnvironmentError, errorMessage, silentLogger, UsageError, type Logger } from '../../core/index.js';
import { BrokerClient } from './broker-client.js';
import { ip, ipBatch, listNamespaces, runIp } from './ip.js';
import { killNamespace } from './teardown.js';
import { Namespace, type NamespaceSpec, type NeighborBook, type Netns } from './namespace.js';
import { ownRecord, removeRecord, writeRecord } from './owner-record.js';
import {
  BRIDGE, checkFabricId, checkNodeIndex, FABRIC_PREFIX_LENGTH, HUB_ADDRESS, hubMac, hubNamespace, hubPort, NODE_DEVICE, nodeAddress, nodeMac, nodeNamespace, parseNamespace,
} from './plan.js';

/**
 * A private network of namespaces for one embedded cluster: a hub with a bridge, and a namespace per
 * node cabled to it by a veth pair (addresses in plan.ts). It never gives the root namespace an address.
 *
 * Neighbors are permanent: every namespace holds a static entry (address → MAC) for each address of
 * the others, so nobody ever sends ARP. That is what makes a pulled cable a black hole: with ARP, a
 * sender whose resolution fails gets a local ICMP host-unreachable after 3 s, and a connect fails with
 * EHOSTUNREACH instead of timing out. With static entries frames go out and the bridge drops them.
 */
export class Fabric implements NeighborBook {
  private readonly nodes = new Map<number, Namespace>();
  private closing: Promise<void> | undefined;
  /** the tail of the fabric's changes: each sees the namespaces and addresses of those before it */
  private changes: Promise<unknown> = Promise.resolve();

  readonly hub: Namespace;

  private constructor(readonly id: string, hub: NamespaceSpec, broker: BrokerClient, private readonly log: Logger) {
    this.hub = new Namespace(hub, broker, this);
  }

  /** Creates the hub namespace with its bridge and broker. Fails when namespaces of this id exist already. */
  static async create(opts: { id: string; log?: Logger }): Promise<Fabric> {
    checkFabricId(opts.id);
    const log = (opts.log ?? silentLogger).child({ fabric: opts.id });
    const taken = (await listNamespaces()).filter((n) => parseNamespace(n)?.id === opts.id).sort();
    if (taken.length) {
      throw new EnvironmentError(`network namespaces of fabric ${opts.id} exist already: ${taken.join(', ')}`, {
        hint: 'another crt uses this id, or one was killed: removeLeftovers() (crt cluster down) removes those of a process that is gone',
      });
    }
    // the record comes first: a crt killed from here on leaves namespaces that leftoverNamespaces() finds
    await writeRecord(await ownRecord(opts.id));
    const name = hubNamespace(opts.id);
    try {
      await ip(['netns', 'add', name]);
    } catch (err) {
      await removeRecord(opts.id);
      throw err;
    }
    try {
      await ipBatch(name, [
        'link set lo up',
        `link add ${BRIDGE} type bridge`,
        `link set ${BRIDGE} address ${hubMac()}`,
        `addr add ${HUB_ADDRESS}/${FABRIC_PREFIX_LENGTH} dev ${BRIDGE}`,
        `link set ${BRIDGE} up`,
      ]);
      const broker = await BrokerClient.start(name);
      const fabric = new Fabric(opts.id, { name, address: HUB_ADDRESS, device: BRIDGE, mac: hubMac() }, broker, log);
      log.debug({ namespace: name }, 'fabric hub created');
      return fabric;
    } catch (err) {
      await killNamespace(name).catch(() => undefined);
      await removeRecord(opts.id);
      throw err;
    }
  }

  node(index: number): Netns | undefined {
    return this.nodes.get(index);
  }

  /** Creates node `index`'s namespace, cables it to the hub and starts its broker. */
  addNode(index: number): Promise<Netns> {
    checkNodeIndex(index);
    return this.serialize(() => this.createNode(index));
  }

  private async createNode(index: number): Promise<Netns> {
    if (this.closing) throw new UsageError(`fabric ${this.id} is closed`);
    if (this.nodes.has(index)) throw new UsageError(`node ${index} exists already in fabric ${this.id}`);
    const name = nodeNamespace(this.id, index);
    const address = nodeAddress(index);
    const port = hubPort(index);
    // a namespace of that name that is not ours (ip netns add fails) is left alone
    await ip(['netns', 'add', name]);
    const others = this.namespaces();
    try {
      await ipBatch(this.hub.name, [`link add ${port} type veth peer name ${NODE_DEVICE} netns ${name}`, `link set ${port} master ${BRIDGE}`, `link set ${port} up`]);
      await ipBatch(name, [
        'link set lo up',
        `link set ${NODE_DEVICE} address ${nodeMac(index)}`,
        `addr add ${address}/${FABRIC_PREFIX_LENGTH} dev ${NODE_DEVICE}`,
        `link set ${NODE_DEVICE} up`,
      ]);
      // the newcomer learns everyone's addresses, everyone learns the newcomer's
      await ipBatch(name, others.flatMap((o) => o.addresses.map((a) => neighbor(a, o.mac, NODE_DEVICE))));
      await Promise.all(others.map((o) => ipBatch(o.name, [neighbor(address, nodeMac(index), o.device)])));
      const broker = await BrokerClient.start(name);
      const node = new Namespace({ name, address, device: NODE_DEVICE, mac: nodeMac(index), hubPort: { namespace: this.hub.name, device: port } }, broker, this);
      this.nodes.set(index, node);
      this.log.debug({ namespace: name, address }, 'fabric node added');
      return node;
    } catch (err) {
      await killNamespace(name).catch(() => undefined);
      await Promise.all(others.map((o) => runIp(['-n', o.name, 'neigh', 'del', address, 'dev', o.device])));
      throw err;
    }
  }

  private namespaces(): Namespace[] {
    return [this.hub, ...this.nodes.values()];
  }

  /** @internal */
  serialize<T>(change: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new UsageError(`fabric ${this.id} is closed`));
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /** @internal */
  holder(address: string): Namespace | undefined {
    return this.namespaces().find((n) => n.addresses.includes(address));
  }

  /** @internal every other namespace gets a permanent neighbor entry for `address` */
  async announce(owner: Namespace, address: string): Promise<void> {
    await Promise.all(this.namespaces().filter((n) => n !== owner).map((n) => ipBatch(n.name, [neighbor(address, owner.mac, n.device)])));
  }

  /** @internal */
  async withdraw(owner: Namespace, address: string): Promise<void> {
    await Promise.all(this.namespaces().filter((n) => n !== owner).map((n) => ipBatch(n.name, [`neigh del ${address} dev ${n.device}`])));
  }

  /**
   * Stops the brokers and every process in the namespaces, deletes the veths, the bridge and the
   * namespaces, then the owner record. Idempotent; each step runs even when another failed, and the
   * failures are thrown together at the end.
   */
  close(): Promise<void> {
    // after the changes under way: a node half-made when close() is called is removed too
    this.closing ??= this.changes.then(() => this.teardown());
    return this.closing;
  }

  private async teardown(): Promise<void> {
    const failures: string[] = [];
    const all = this.namespaces();
    await Promise.all(all.map((n) => n.broker.close()));
    for (const n of [...this.nodes.values(), this.hub]) {
      try {
        await killNamespace(n.name);
      } catch (err) {
        failures.push(errorMessage(err));
      }
    }
    if (failures.length === 0) await removeRecord(this.id);
    this.log.debug({ failures }, 'fabric closed');
    if (failures.length) throw new EnvironmentError(`fabric ${this.id} was not wholly removed: ${failures.join('; ')}`, { hint: 'removeLeftovers() (crt cluster down) retries once this process is gone' });
  }
}

function neighbor(address: string, mac: string, device: string): string {
  return `neigh replace ${address} lladdr ${mac} dev ${device} nud permanent`;
}
