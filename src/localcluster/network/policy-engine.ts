import type { KObject } from '../api/index.js';
import type { WatchEvent } from '../store/index.js';
import { compilePolicy, rulesAllow, selects, type CompiledPolicy, type NamespaceLabels, type Peer, type PodView } from './policy-rules.js';
import { parseIPv4 } from '../../core/index.js';
import type { ConnectionInfo, Gate, ServiceProxy } from './service-proxy.js';

/** One connection to decide: who dials, which pod IP and port it reaches. */
export interface Flow {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly dstPort: number;
  /** only TCP flows exist in the embedded cluster; kept so rules with other protocols never match */
  readonly protocol?: string;
}

/** The policies isolating one pod, by direction. */
export interface Selecting { readonly ingress: readonly CompiledPolicy[]; readonly egress: readonly CompiledPolicy[] }

/**
 * Where the engine learns of Namespaces, Pods and NetworkPolicies: the builtin store, or the real API
 * server's watches (the real-control-plane mode). Existing objects come first, as ADDED events.
 */
export interface PolicySource {
  watch(resourceKey: 'namespaces' | 'pods' | 'networking.k8s.io/networkpolicies', namespace: undefined, opts: Record<string, never>, onEvent: (event: WatchEvent) => void): () => void;
}

/**
 * What the cluster's CNI does to an established connection once a NetworkPolicy denies it. New
 * connections are dropped in every profile. `keep`: it lives on until it ends, as Calico and Antrea
 * do (their conntrack entry admits its packets without asking the policy again) — the default;
 * `drop`: its packets are dropped from then on, as OVN-Kubernetes does, so both ends hang until their
 * timeouts; `reset`: it is reset at once, the embedded cluster's former default and no common
 * CNI's.
 */
export type CniProfile = 'keep' | 'drop' | 'reset';

/** Why a flow is denied, for logs and tests; undefined when it is allowed. */
export type Denial = 'egress' | 'ingress';

/**
 * The NetworkPolicy decisions of the embedded cluster, from the store's NetworkPolicies, Pods and
 * Namespaces. Indexes (pods by IP, compiled policies by namespace, namespace labels) follow watch
 * events, and the policies selecting a pod are matched once per pod and policy change, so that
 * `deny` — called once per connection by the Service proxies — only checks those policies' rules. A source IP that is no pod's is outside the cluster (crt's load is
 * 127.0.0.1): only ipBlock peers and peer-less rules match it.
 */
export class NetworkPolicyEngine {
  readonly #pods = new Map<string, PodView>();
  /** pod uid → its indexed view, to unindex it when its IP goes or changes */
  readonly #byUid = new Map<string, PodView>();
  readonly #policies = new Map<string, Map<string, CompiledPolicy>>();
  readonly #nsLabels = new Map<string, Readonly<Record<string, string>>>();
  readonly #listeners = new Set<() => void>();
  readonly #stops: (() => void)[] = [];
  /** connections the gate dropped: a cut leaves them held, so their clients still see a timeout */
  readonly #dropped = new WeakSet<ConnectionInfo>();
  /** keyed by pod view: a pod change makes a new view, a policy change a new cache */
  #selectingCache = new WeakMap<PodView, Selecting>();
  readonly #ipNumbers = new Map<string, number | null>();
  #changeQueued = false;

  constructor(private readonly store: PolicySource) {}

  /** Starts following the store: existing objects are indexed first, as the watches deliver them. */
  start(): void {
    this.#stops.push(this.store.watch('namespaces', undefined, {}, (e) => this.#onNamespace(e)));
    this.#stops.push(this.store.watch('pods', undefined, {}, (e) => this.#onPod(e)));
    this.#stops.push(this.store.watch('networking.k8s.io/networkpolicies', undefined, {}, (e) => this.#onPolicy(e)));
  }

  stop(): void {
    for (const s of this.#stops.splice(0)) s();
    this.#listeners.clear();
  }

  /**
   * Subscribes to changes that may turn an allowed flow into a denied one (policies, pod and namespace
   * labels, pod IPs); calls are coalesced to one per tick. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Undefined when both the source's egress and the destination's ingress allow the flow. */
  deny(flow: Flow): Denial | undefined {
    const protocol = flow.protocol ?? 'TCP';
    const src: Peer = { ip: flow.srcIp, ipNumber: this.#ipNumber(flow.srcIp), pod: this.#pods.get(flow.srcIp) };
    const dst: Peer = { ip: flow.dstIp, ipNumber: this.#ipNumber(flow.dstIp), pod: this.#pods.get(flow.dstIp) };
    const target = { pod: dst.pod, port: flow.dstPort, protocol };
    // the node itself reaches its pods whatever the policies (kubelet probes): CNIs allow host → local pod
    if (dst.pod?.hostIP !== undefined && dst.pod.hostIP === flow.srcIp) return undefined;
    if (src.pod && !this.#admits(src.pod, 'egress', dst, target)) return 'egress';
    if (dst.pod && !this.#admits(dst.pod, 'ingress', src, target)) return 'ingress';
    return undefined;
  }

  /** The gate of the Service proxies and pod gates: a denied connection is dropped, as a CNI drops its packets. */
  readonly gate: Gate = (conn) => {
    if (this.denyConnection(conn) === undefined) return 'allow';
    this.#dropped.add(conn);
    return 'drop';
  };

  /**
   * Acts on the established connections of `proxies` that the policies now deny, as the cluster's CNI
   * does (see CniProfile): `reset` resets them, `drop` black-holes them; returns how many. Connections
   * the gate dropped stay held, and so do those `held` says another gate in front of this one dropped
   * (a node's lost link).
   */
  cutDenied(proxies: Iterable<ServiceProxy>, held: (conn: ConnectionInfo) => boolean = () => false, how: 'reset' | 'drop' = 'reset'): number {
    const denied = (conn: ConnectionInfo): boolean => !this.#dropped.has(conn) && !held(conn) && this.denyConnection(conn) !== undefined;
    let count = 0;
    for (const proxy of proxies) count += how === 'drop' ? proxy.blackHole(denied) : proxy.cut(denied);
    return count;
  }

  /**
   * Resumes the connections of `proxies` black-holed before (`cutDenied` with `drop`) that the policies
   * allow again, unless `blocked` says something else drops them (a lost link); returns how many.
   */
  resumeAllowed(proxies: Iterable<ServiceProxy>, blocked: (conn: ConnectionInfo) => boolean = () => false): number {
    let count = 0;
    for (const proxy of proxies) count += proxy.resume((conn) => !blocked(conn) && this.denyConnection(conn) === undefined);
    return count;
  }

  /** `deny` for a proxied connection: from its caller to the backend pod it was sent to (a pod gate's backend is its own pod). */
  denyConnection(conn: ConnectionInfo): Denial | undefined {
    return this.deny({ srcIp: conn.srcIp, dstIp: conn.backend.ip, dstPort: conn.backend.port });
  }

  /** The pod indexed under `ip`, if any (for tests and diagnostics). */
  podAt(ip: string): PodView | undefined {
    return this.#pods.get(ip);
  }

  /** Every pod holding an IP now (what rules compiled to kernel filters match peers against). */
  pods(): PodView[] {
    return [...this.#pods.values()];
  }

  /** The policies isolating `pod` for ingress and for egress (empty: that direction is open). */
  isolating(pod: PodView): Selecting {
    return this.#selecting(pod);
  }

  /** The labels namespace selectors see for a namespace (its name label included), once it has been seen. */
  get namespaceLabels(): NamespaceLabels {
    return this.#namespaceLabels;
  }

  /** Isolated for a direction when any policy selecting the pod has it; then some rule must match. */
  #admits(pod: PodView, direction: 'ingress' | 'egress', peer: Peer, target: { pod: PodView | undefined; port: number; protocol: string }): boolean {
    const policies = this.#selecting(pod)[direction];
    return policies.length === 0 || policies.some((policy) => rulesAllow(policy, policy[direction]!, peer, target, this.#namespaceLabels));
  }

  /** parseIPv4, remembered: the same few addresses (pods, 127.0.0.1) come back on every connection */
  #ipNumber(ip: string): number | null {
    let n = this.#ipNumbers.get(ip);
    if (n === undefined) {
      if (this.#ipNumbers.size > 10_000) this.#ipNumbers.clear();
      n = parseIPv4(ip);
      this.#ipNumbers.set(ip, n);
    }
    return n;
  }

  /** The policies isolating `pod`, by direction, matched once per pod version and policy change. */
  #selecting(pod: PodView): Selecting {
    let found = this.#selectingCache.get(pod);
    if (!found) {
      const all = [...(this.#policies.get(pod.namespace)?.values() ?? [])].filter((p) => selects(p, pod));
      found = { ingress: all.filter((p) => p.ingress !== null), egress: all.filter((p) => p.egress !== null) };
      this.#selectingCache.set(pod, found);
    }
    return found;
  }

  readonly #namespaceLabels = (ns: string): Readonly<Record<string, string>> | undefined => this.#nsLabels.get(ns);

  #onPolicy(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const np = e.object;
    const ns = np.metadata.namespace ?? 'default';
    const byName = this.#policies.get(ns) ?? new Map<string, CompiledPolicy>();
    this.#policies.set(ns, byName);
    if (e.type === 'DELETED') byName.delete(np.metadata.name ?? '');
    else byName.set(np.metadata.name ?? '', compilePolicy(np));
    this.#selectingCache = new WeakMap();
    this.#changed();
  }

  #onNamespace(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const name = e.object.metadata.name ?? '';
    const before = JSON.stringify(this.#nsLabels.get(name) ?? {});
    if (e.type === 'DELETED') this.#nsLabels.delete(name);
    else this.#nsLabels.set(name, { ...e.object.metadata.labels, 'kubernetes.io/metadata.name': name });
    if (JSON.stringify(this.#nsLabels.get(name) ?? {}) !== before) this.#changed();
  }

  #onPod(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const pod = e.object;
    const uid = pod.metadata.uid ?? '';
    const old = this.#byUid.get(uid);
    const view = e.type === 'DELETED' ? undefined : podView(pod);
    // another pod may hold the address by now: only this pod's own entry goes
    if (old && this.#pods.get(old.ip) === old) this.#pods.delete(old.ip);
    this.#byUid.delete(uid);
    if (view) {
      this.#pods.set(view.ip, view);
      this.#byUid.set(uid, view);
    }
    if (view?.ip !== old?.ip || (view && old && JSON.stringify(view.labels) !== JSON.stringify(old.labels))) this.#changed();
  }

  /** Listeners run once per tick, however many events a batch (a rollout, a policy apply) brings. */
  #changed(): void {
    if (this.#changeQueued || this.#listeners.size === 0) return;
    this.#changeQueued = true;
    queueMicrotask(() => {
      this.#changeQueued = false;
      for (const listener of this.#listeners) listener();
    });
  }
}

/** A pod that holds an IP: running or pending with one assigned; finished pods have given theirs back. */
function podView(pod: KObject): PodView | undefined {
  const ip: string | undefined = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP;
  if (!ip || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const namedPorts = new Map<string, { port: number; protocol: string }>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) if (p.name) namedPorts.set(p.name, { port: p.containerPort, protocol: p.protocol ?? 'TCP' });
  }
  const hostIP: string | undefined = pod.status?.hostIP || undefined;
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', ip, ...(hostIP ? { hostIP } : {}), labels: { ...pod.metadata.labels }, namedPorts };
}
