import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { EnvironmentError, silentLogger, systemClock, UsageError } from '../core/index.js';
import { ApiServer, AUDIT_FILE_ENV, auditFileWriter, ClusterLogs, evictionHandler, nodeLinkEndpoint, nodePowerEndpoint, type AuditListener } from './apiserver/index.js';
import { ControllerManager, type CpuSampler } from './controllers/index.js';
import { otherClusters } from './leftovers.js';
import { applyObjects, readManifests, Store, waitUntilAvailable, type AppliedObject, type AvailabilityOptions } from './store/index.js';
import { AddressPool, NetworkPolicyEngine, NodeLinks, type CniProfile, type Gate, type NodeLossTraffic, type ServiceProxy } from './network/index.js';
import { defaultTolerationSeconds, NodeAgent, type NodeCapacity } from './node/index.js';
import { checkNodeTimings, nodeTimingsOf, type NodeTimings } from '../vocabulary/index.js';
import type { BackoffOptions } from './runtime/index.js';
import { serviceAdmission, ServiceProxies } from './services/index.js';
import type { KObject } from './api/index.js';
import { clusterCpuSampler, workloadControllerOptions } from './cluster-metrics.js';

export interface LocalClusterOptions {
  /** Number of nodes (default 3): node-1 … node-N, zones zone-a, zone-b, … */
  nodes?: number;
  /** Where pods' work dirs and logs go; removed by stop() unless keepState. */
  stateDir: string;
  keepState?: boolean;
  /** API server address (default 127.0.0.1, any free port). */
  host?: string;
  port?: number;
  log?: Logger;
  /** Kubelet heartbeat period (default 10 s, as the kubelet's node-status-update-frequency). */
  heartbeatMs?: number;
  /** Heartbeat silence after which a node goes Ready=Unknown and gets the unreachable taints (default 50 s, as Kubernetes 1.32). */
  nodeMonitorGracePeriodMs?: number;
  /** How often the node lifecycle controller checks heartbeats (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** How long new pods tolerate a not-ready or unreachable node before eviction, unless they say (default 300). */
  defaultTolerationSeconds?: number;
  /** Container restart back-off (default 10 s doubling to 5 min, as the kubelet's). */
  backoff?: BackoffOptions;
  /**
   * What the CNI does to an established connection a NetworkPolicy starts denying (default `keep`,
   * as Calico and Antrea with conntrack; `drop` black-holes it, as OVN-Kubernetes; `reset` resets it,
   * as no common CNI does). New connections a policy denies are dropped whatever the profile.
   */
  cni?: CniProfile;
  /**
   * The former switch for `cni`: true is `reset`, false is `keep`. Giving both, differently, is an error.
   * @deprecated use `cni`
   */
  networkPolicyCutEstablished?: boolean;
  /**
   * What a powered-off node or a lost link does to traffic (default `drop`: packets go nowhere,
   * established connections hang and new ones get no answer, so clients wait for their timeouts, as
   * on a real network; `reset`: an instant TCP reset instead, which makes node loss look cheap).
   */
  nodeLossTraffic?: NodeLossTraffic;
  /**
   * How long an Endpoints change takes to reach the Service proxies (default 1000 ms; a real cluster's
   * EndpointSlice → kube-proxy path takes 0.1–2 s in-cluster, more behind cloud load balancers). A
   * deleted pod gets its SIGTERM while the proxies still send it new connections for this long.
   */
  endpointPropagationDelayMs?: number;
  /**
   * How long a pod stays ContainerCreating before its containers start (default 500 ms): sandbox,
   * CNI setup and a cached image pull of a real kubelet; more for images that must be pulled.
   */
  podStartDelayMs?: number;
  /**
   * What each node offers the scheduler, which fits pods' resource requests into it (NodeResourcesFit):
   * default this machine's cpus and memory, and 110 pods, on every node.
   */
  nodeCapacity?: NodeCapacity;
  /**
   * Whether NetworkPolicies are enforced at all (default true). false stores them and enforces
   * nothing, like a CNI without NetworkPolicy support (flannel): what crt's cut verification detects.
   */
  networkPolicyEnforced?: boolean;
  /**
   * Per-pod ingress gates (default true): pods listen on a private address (`$HOST`, 127.11.<node>.<n>)
   * and a gate on their pod IP applies NetworkPolicy to direct pod-IP traffic too. False: pods listen
   * on their pod IP and only the Service proxies filter (one hop less).
   */
  podGates?: boolean;
  /** How often each HorizontalPodAutoscaler is reconciled (default 15 s, --horizontal-pod-autoscaler-sync-period). */
  hpaSyncPeriodMs?: number;
  /** Scale-down stabilisation window of HPAs that do not set one (default 5 min). */
  hpaDownscaleStabilizationMs?: number;
  /** How often pods' CPU usage is sampled for HPAs (default 15 s, metrics-server's --metric-resolution). */
  metricsResolutionMs?: number;
  /** Delay before a Job replaces a failed pod, doubling per failure up to 6 min (default 10 s). */
  jobBackoffMs?: number;
  /**
   * Told of every API request with its RBAC attributes (verb, group, resource, subresource, namespace).
   * Default: when CRT_APISERVER_AUDIT names a file, one JSON line per request is appended to it.
   */
  audit?: AuditListener;
}

const ZONES = 'abcdefghijklmnopqrstuvwxyz';

/** Endpoints → kube-proxy lag of a real cluster in-cluster: 0.1–2 s; 1 s is its middle. */
export const DEFAULT_ENDPOINT_PROPAGATION_DELAY_MS = 1000;
/** A real kubelet's sandbox, CNI setup and cached image: a few hundred ms. */
export const DEFAULT_POD_START_DELAY_MS = 500;

/** `cni` from the options, `networkPolicyCutEstablished` read as the profile it meant. */
export function cniProfile(opts: Pick<LocalClusterOptions, 'cni' | 'networkPolicyCutEstablished'>): CniProfile {
  const legacy = opts.networkPolicyCutEstablished === undefined ? undefined : opts.networkPolicyCutEstablished ? 'reset' : 'keep';
  if (opts.cni !== undefined && legacy !== undefined && opts.cni !== legacy) {
    throw new UsageError(`networkPolicyCutEstablished: ${String(opts.networkPolicyCutEstablished)} says cni ${legacy}, but cni is ${opts.cni}`, {
      hint: 'give cni alone (keep, drop or reset): networkPolicyCutEstablished is its former spelling',
    });
  }
  return opts.cni ?? legacy ?? 'keep';
}

function definedOnly(partial: Partial<NodeTimings>): Partial<NodeTimings> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
}

function auditOption(audit: AuditListener | undefined): { audit?: AuditListener } {
  if (audit) return { audit };
  const file = process.env[AUDIT_FILE_ENV];
  return file ? { audit: auditFileWriter(file) } : {};
}

/**
 * The embedded Kubernetes-compatible cluster: one Store, the API server on loopback, the controllers
 * and scheduler, kube-proxy (Service proxies on loopback IPs), and one kubelet per node running pods as
 * local processes. Everything crt does to it goes through the API, as on a real cluster.
 */
export class LocalCluster {
  readonly store = new Store();
  readonly nodes: NodeAgent[] = [];
  private api: ApiServer | undefined;
  private controllers: ControllerManager | undefined;
  private proxies: ServiceProxies | undefined;
  private policies: NetworkPolicyEngine | undefined;
  private metrics: CpuSampler | undefined;
  private apiUrl = '';
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private timings: NodeTimings;
  private readonly cni: CniProfile;

  constructor(private readonly opts: LocalClusterOptions) {
    this.log = opts.log ?? silentLogger;
    this.cni = cniProfile(opts);
    this.timings = nodeTimingsOf(opts);
  }

  get url(): string {
    return this.apiUrl;
  }

  async start(): Promise<string> {
    checkNodeTimings(this.timings);
    this.refuseOtherCluster();
    await mkdir(this.opts.stateDir, { recursive: true });
    this.startControllers();
    const { gate, links } = this.startNetwork();
    const count = this.opts.nodes ?? 3;
    for (let i = 1; i <= count; i++) this.startNode(i, gate, links);
    this.metrics?.start();
    const logs = new ClusterLogs(this.opts.stateDir, (uid) => this.nodes.some((n) => n.podDir(uid) !== undefined));
    this.api = new ApiServer({
      store: this.store, logs, log: this.log.child({ component: 'apiserver' }), admin: [nodePowerEndpoint(this.nodes), nodeLinkEndpoint(this.nodes)],
      subresources: new Map([['pods/eviction', evictionHandler]]),
      ...auditOption(this.opts.audit),
    });
    this.apiUrl = await this.api.listen(this.opts.host ?? '127.0.0.1', this.opts.port ?? 0);
    this.log.info({ url: this.apiUrl, nodes: count }, 'embedded cluster started');
    return this.apiUrl;
  }

  /** Embedded clusters share the loopback addresses: one per machine. */
  private refuseOtherCluster(): void {
    const other = otherClusters(this.opts.stateDir)[0];
    if (!other) return;
    const { stateDir, pids } = other;
    const whose = other.orphaned ? `; left by a killed crt, pid ${other.ownerPid}` : other.ownerPid ? `; run by pid ${other.ownerPid}` : '';
    throw new EnvironmentError(`another embedded cluster is running on this machine (pods of ${stateDir}: pids ${pids.slice(0, 5).join(', ')}${pids.length > 5 ? ', …' : ''}${whose})`,
      { hint: `embedded clusters share the loopback addresses: stop it first — ${other.remedy}` });
  }

  /** The system namespaces, the admission plugins and the controller manager. */
  private startControllers(): void {
    const { store, timings } = this;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    store.addAdmission('services', serviceAdmission(new AddressPool('127.20.0.0/16')));
    store.addAdmission('pods', defaultTolerationSeconds(() => this.timings.defaultTolerationSeconds));
    this.controllers = new ControllerManager(store, {
      log: this.log.child({ component: 'controllers' }),
      nodeLifecycle: { nodeMonitorPeriodMs: timings.nodeMonitorPeriodMs, nodeMonitorGracePeriodMs: timings.nodeMonitorGracePeriodMs },
      ...workloadControllerOptions(this.opts, (this.metrics = clusterCpuSampler(store, this.nodes, this.opts.metricsResolutionMs))),
    });
    this.controllers.start();
  }

  /** NetworkPolicies, node links and the Service proxies: the gate every pod connection goes through. */
  private startNetwork(): { gate: Gate; links: NodeLinks } {
    const { store, nodes } = this;
    const policies = (this.policies = new NetworkPolicyEngine(store));
    policies.start();
    const privateAddress = (ip: string, port: number): string | undefined => {
      for (const n of nodes) {
        const found = n.privateAddress(ip, port);
        if (found) return found;
      }
      return undefined;
    };
    const enforced = this.opts.networkPolicyEnforced ?? true;
    // a node's lost link drops traffic whether or not NetworkPolicies are enforced
    const links = new NodeLinks(() => [...proxies.proxies(), ...nodes.flatMap((n) => n.gateProxies())], this.opts.nodeLossTraffic ?? 'drop');
    const gate: Gate = links.gate(enforced ? policies.gate : () => 'allow');
    const proxies = (this.proxies = new ServiceProxies(store, this.log.child({ component: 'kube-proxy' }), gate, privateAddress, {
      propagationDelayMs: this.opts.endpointPropagationDelayMs ?? DEFAULT_ENDPOINT_PROPAGATION_DELAY_MS,
    }));
    const cni = this.cni;
    const everyProxy = (): ServiceProxy[] => [...proxies.proxies(), ...nodes.flatMap((n) => n.gateProxies())];
    if (enforced && cni !== 'keep') {
      policies.onChange(() => {
        policies.cutDenied(everyProxy(), links.holds, cni);
        // OVN lets a flow through again once no ACL drops it: black-holed connections resume
        if (cni === 'drop') policies.resumeAllowed(everyProxy(), (conn) => links.severed(conn.srcIp, conn.backend.ip));
      });
      if (cni === 'drop') links.stillBlocked = (conn) => policies.denyConnection(conn) !== undefined;
    }
    proxies.start();
    return { gate, links };
  }

  /** Node `node-<i>`: its kubelet-like agent, started. */
  private startNode(i: number, gate: Gate, links: NodeLinks): void {
    const agent = new NodeAgent({
      store: this.store, stateDir: this.opts.stateDir, log: this.log.child({ node: `node-${i}` }),
      node: {
        name: `node-${i}`, ip: `127.1.0.${i}`, podCIDR: `127.10.${i}.0/24`, zone: `zone-${ZONES[(i - 1) % ZONES.length]}`,
        ...(this.opts.nodeCapacity ? { capacity: this.opts.nodeCapacity } : {}),
      },
      ...(this.opts.podGates ?? true ? { gates: { bindCIDR: `127.11.${i}.0/24`, gate } } : {}), links,
      heartbeatMs: this.timings.heartbeatMs,
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      podStartDelayMs: this.opts.podStartDelayMs ?? DEFAULT_POD_START_DELAY_MS,
    });
    agent.start();
    this.nodes.push(agent);
  }

  /** The node-failure detection timings in effect. */
  get nodeTimings(): NodeTimings {
    return { ...this.timings };
  }

  /**
   * Changes node-failure detection while the cluster runs, as restarting kube-controller-manager,
   * the kubelets and kube-apiserver with new flags would: `partial` goes over the timings in effect
   * and the result must pass checkNodeTimings (a UsageError otherwise, nothing changed). Every
   * running kubelet posts its status at once and then beats at the new period (so no node looks
   * silent during the change), then the node lifecycle controller restarts its loop with the new
   * period and grace. A new defaultTolerationSeconds applies to pods created from now on: pods
   * created before keep the tolerations the admission stamped on them, as in Kubernetes.
   * Returns the timings now in effect.
   */
  setNodeTimings(partial: Partial<NodeTimings>): NodeTimings {
    if (!this.controllers) throw new Error('setNodeTimings: the cluster is not started');
    const next: NodeTimings = { ...this.timings, ...definedOnly(partial) };
    checkNodeTimings(next);
    this.timings = next;
    for (const n of this.nodes) n.setHeartbeat(next.heartbeatMs);
    this.controllers.nodeLifecycle.setTimings(next);
    this.log.info({ timings: next }, 'node timings changed');
    return { ...next };
  }

  /** Applies manifest files (multi-document YAML), namespaces first. */
  async applyFiles(files: string[]): Promise<AppliedObject[]> {
    const out: AppliedObject[] = [];
    for (const file of files) out.push(...applyObjects(this.store, this.store.registry, await readManifests(file), path.basename(file)));
    return out;
  }

  apply(objects: KObject[]): AppliedObject[] {
    return applyObjects(this.store, this.store.registry, objects);
  }

  /**
   * Resolves when every Deployment (of the given namespaces) is available and rolled out, and the
   * endpoint propagation delay has passed since, so that the Service proxies route to those pods.
   */
  async waitUntilAvailable(opts: AvailabilityOptions): Promise<void> {
    await waitUntilAvailable(this.store, opts);
    const lagMs = this.opts.endpointPropagationDelayMs ?? DEFAULT_ENDPOINT_PROPAGATION_DELAY_MS;
    if (lagMs > 0) await systemClock.sleep(lagMs, opts.signal);
  }

  /** Where a Service is reachable from this machine: its ClusterIP and port (and node port if any). */
  serviceAddress(namespace: string, name: string, port?: number | string): Promise<{ host: string; port: number; nodePort?: number } | undefined> {
    return this.proxies!.address(namespace, name, port);
  }

  /** The kubelet of a node (power it off and on, take its link down and up: node loss), by name. */
  node(name: string): NodeAgent | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  /** Process ids of every pod container now running. */
  pids(): number[] {
    return this.nodes.flatMap((n) => n.pids());
  }

  /** Stops pods (grace capped at `graceCapSec`), proxies, controllers and the API server. Idempotent. */
  stop(graceCapSec = 5): Promise<void> {
    this.stopping ??= (async () => {
      this.controllers?.stop();
      this.metrics?.stop();
      await Promise.all(this.nodes.map((n) => n.stop(graceCapSec)));
      this.policies?.stop();
      await this.proxies?.stop();
      await this.api?.close();
      if (!this.opts.keepState) await rm(this.opts.stateDir, { recursive: true, force: true });
      this.log.info('embedded cluster stopped');
    })();
    return this.stopping;
  }
}
