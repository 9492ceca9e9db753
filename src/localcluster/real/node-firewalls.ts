import type { KubeConfig } from '@kubernetes/client-node';
import { EnvironmentError, errorMessage, silentLogger, type Logger } from '../../core/index.js';
import { NetworkPolicyEngine, type CniProfile } from '../network/index.js';
import { runCommand, type Netns } from '../netns/index.js';
import { ApiPolicySource } from './api-policy-source.js';
import { NFT_TABLE, nodeRuleset, type LocalPod } from './nft-policy.js';
import { PodCgroups } from './pod-cgroups.js';

/** One node as the firewalls see it: its namespace and own address. */
export interface FirewallNode {
  readonly name: string;
  readonly netns: Netns;
}

export interface NodeFirewallsOptions {
  kubeconfig: KubeConfig;
  fabricId: string;
  cni: CniProfile;
  log?: Logger;
}

const run = runCommand;

/** Whether nftables' `nft` can run here; the reason when it cannot. */
export async function nftUnavailable(): Promise<string | undefined> {
  const r = await run('nft', ['--version']);
  if (r.error?.code === 'ENOENT') return 'the nft command (nftables) is not installed';
  if (r.code !== 0) return `nft --version failed: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

/**
 * The network plugin's policy half in the real-control-plane mode: NetworkPolicy enforced by the
 * kernel. It follows Namespaces, Pods and NetworkPolicies through the API (as a CNI's agent does) and
 * programs an nftables table in every node namespace (nft-policy.ts); never in the root namespace.
 * It also owns the pods' cgroups, by which the node's rules tell its pods' connections apart.
 */
export class NodeFirewalls {
  readonly #engine: NetworkPolicyEngine;
  readonly #source: ApiPolicySource;
  readonly #cgroups: PodCgroups;
  readonly #log: Logger;
  readonly #nodes = new Map<string, { node: FirewallNode; pods: Map<string, LocalPod>; applied: string }>();
  #cni: CniProfile;
  #nextMark = 1;
  // nft runs under nsenter, which enters only the network namespace: `ip netns exec` mounts a sysfs of its
  // own on /sys, where the cgroup hierarchy that the rules name is then missing
  #chain: Promise<void> = Promise.resolve();
  #queued = false;
  #stopped = false;

  constructor(private readonly opts: NodeFirewallsOptions) {
    this.#cni = opts.cni;
    this.#log = (opts.log ?? silentLogger).child({ component: 'network-policy' });
    this.#source = new ApiPolicySource(opts.kubeconfig, opts.log);
    this.#engine = new NetworkPolicyEngine(this.#source);
    this.#cgroups = PodCgroups.forFabric(opts.fabricId);
  }

  /** Fails when nftables is missing: a cluster that ignored its NetworkPolicies would be kinder than a real one. */
  static async check(): Promise<void> {
    const why = await nftUnavailable();
    if (why) {
      throw new EnvironmentError(`the real control plane enforces NetworkPolicy with nftables, but ${why}`, {
        hint: 'install nftables (Debian: apt-get install nftables; .ci/run does), or use --control-plane builtin',
      });
    }
  }

  /** The policy decisions (for diagnostics and tests: the same rules the kernel was given). */
  get engine(): NetworkPolicyEngine {
    return this.#engine;
  }

  get cni(): CniProfile {
    return this.#cni;
  }

  /** Switches the cni profile (what established connections become when a policy starts denying them); resolves once every node has it. */
  async setCni(cni: CniProfile): Promise<void> {
    this.#cni = cni;
    for (const entry of this.#nodes.values()) entry.applied = '';
    await this.sync();
  }

  /** Takes node `node` in: its table is written at once (pod marks and SNAT only, until a policy selects a pod). */
  async addNode(node: FirewallNode): Promise<void> {
    this.#nodes.set(node.name, { node, pods: new Map(), applied: '' });
    await this.sync();
  }

  /** Starts following the API (called once the nodes are in). */
  async start(): Promise<void> {
    this.#engine.onChange(() => this.schedule());
    this.#engine.start();
    await this.#source.start();
    await this.sync();
  }

  /**
   * The kubelet's pod network hooks of `node`, around `hooks` (which put the address on the node):
   * a pod's cgroup exists and its SNAT rule is in before its first process starts.
   */
  podHooks(nodeName: string, hooks: { addAddress(ip: string): Promise<void>; removeAddress(ip: string): Promise<void>; wrap(file: string, args: string[]): { file: string; args: string[] } }) {
    return {
      addAddress: async (ip: string): Promise<void> => {
        await this.#cgroups.create(ip);
        const { path, level } = this.#cgroups.nftPath(ip);
        this.#nodes.get(nodeName)?.pods.set(ip, { ip, mark: this.#nextMark++, cgroup: path, cgroupLevel: level });
        await hooks.addAddress(ip);
        await this.sync();
      },
      removeAddress: async (ip: string): Promise<void> => {
        this.#nodes.get(nodeName)?.pods.delete(ip);
        await hooks.removeAddress(ip);
        await this.#cgroups.remove(ip).catch((err: unknown) => this.#log.warn({ err, ip }, 'could not remove a pod cgroup'));
        this.schedule();
      },
      wrapPod: (ip: string) => (file: string, args: string[]) => this.#cgroups.wrap(ip, hooks.wrap(file, args)),
    };
  }

  /** Rewrites every node's table that changed; resolves once the kernel has them. */
  sync(): Promise<void> {
    const next = this.#chain.then(() => this.#syncNow());
    this.#chain = next.catch((err: unknown) => this.#log.error({ err }, 'network policy update failed'));
    return next;
  }

  private schedule(): void {
    if (this.#queued || this.#stopped) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      void this.sync().catch(() => undefined);
    });
  }

  async #syncNow(): Promise<void> {
    if (this.#stopped) return;
    for (const entry of this.#nodes.values()) {
      const script = nodeRuleset({ nodeIP: entry.node.netns.address, cni: this.#cni, pods: [...entry.pods.values()], policies: this.#engine });
      if (script === entry.applied) continue;
      const r = await run('nsenter', [`--net=/run/netns/${entry.node.netns.name}`, 'nft', '-f', '-'], script);
      if (r.code !== 0) throw new EnvironmentError(`nft -f in ${entry.node.netns.name} failed: ${(r.stderr || r.error?.message || '').trim()}`);
      entry.applied = script;
      this.#log.debug({ node: entry.node.name, pods: entry.pods.size }, 'node nftables table written');
    }
    if (this.#cni === 'reset') await this.#resetDenied();
  }

  /**
   * `cni: reset`: an idle keep-alive connection sends nothing the rules could answer with a reset, so
   * the server ends of the established connections the policies now deny are destroyed (`ss -K`,
   * SOCK_DESTROY): the kernel aborts them and sends the client a reset, at once, as the builtin does.
   */
  async #resetDenied(): Promise<void> {
    for (const { node, pods } of this.#nodes.values()) {
      if (pods.size === 0) continue;
      const ns = node.netns.name;
      const listening = await run('ip', ['netns', 'exec', ns, 'ss', '-tnH', 'state', 'listening']);
      const established = await run('ip', ['netns', 'exec', ns, 'ss', '-tnH', 'state', 'established']);
      const servers = new Set(sockets(listening.stdout).map((s) => s.local));
      for (const s of sockets(established.stdout)) {
        const [ip, port] = splitAddress(s.local);
        if (!pods.has(ip) || !(servers.has(s.local) || servers.has(`0.0.0.0:${port}`) || servers.has(`*:${port}`))) continue;
        const [peerIp] = splitAddress(s.peer);
        if (this.#engine.deny({ srcIp: peerIp, dstIp: ip, dstPort: Number(port) }) === undefined) continue;
        const killed = await run('ip', ['netns', 'exec', ns, 'ss', '-K', '-tnH', 'state', 'established', 'src', s.local, 'dst', s.peer]);
        if (killed.code !== 0) this.#log.warn({ node: node.name, socket: s, error: killed.stderr.trim() }, 'could not reset a denied connection');
      }
    }
  }

  /** Stops following the API, deletes the node tables and the pods' cgroups. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#engine.stop();
    await this.#source.stop().catch(() => undefined);
    await this.#chain;
    const failures: string[] = [];
    for (const { node, pods } of this.#nodes.values()) {
      const r = await run('nsenter', [`--net=/run/netns/${node.netns.name}`, 'nft', 'delete', 'table', 'ip', NFT_TABLE]);
      if (r.code !== 0 && !/No such file|does not exist/i.test(r.stderr)) failures.push(`${node.netns.name}: ${r.stderr.trim()}`);
      for (const ip of pods.keys()) await this.#cgroups.remove(ip).catch((err: unknown) => failures.push(errorMessage(err)));
    }
    await this.#cgroups.close().catch((err: unknown) => failures.push(errorMessage(err)));
    if (failures.length) this.#log.warn({ failures }, 'network policy teardown incomplete');
  }
}

/** `Recv-Q Send-Q Local Peer` lines of `ss -tnH state <s>`. */
function sockets(text: string): Array<{ local: string; peer: string }> {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 4).map((f) => ({ local: f[2]!, peer: f[3]! }));
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}
