import type { CoreV1Event, Informer, KubernetesObject, V1DaemonSet, V1Deployment, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { errorMessage, type Clock, type Logger } from '../core/index.js';
import { apiMessage, apiStatus, isApiUnavailable, isNodeReady, type KubeClients } from '../kube/index.js';
import type { ClusterEventRecord, ClusterRecovery, ClusterSampleRecord, Layer, Phase } from '../results/index.js';
import { KeyEvents } from './cluster-events.js';
import { makeResilientInformer, type InformerSettings } from './cluster-watch-informer.js';

type Sample = Omit<ClusterSampleRecord, 'run' | 'case' | 'layer' | 'phase'>;
type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

export interface ClusterWatchDeps {
  kube: KubeClients;
  clock: Clock;
  log: Logger;
  run: string;
  case: string;
  layer: Layer;
  /** namespaces whose workloads (Deployments, StatefulSets, DaemonSets) and pods are followed (the case's faults' and probes', or all of them); nodes always */
  namespaces: readonly string[] | 'all';
  phase: () => Phase;
  write: (records: ClusterSampleRecord[]) => void;
  /** the key Kubernetes Events of those namespaces (all of them, node events included, for node faults) */
  writeEvents?: (records: ClusterEventRecord[]) => void;
  /** a part of the view that cannot be had (RBAC refuses a list or a watch): said in the case, once per resource */
  problem?: (message: string) => void;
  /** the API went away or came back ("API unavailable since …"): said in the case, once each way */
  note?: (message: string) => void;
  /** the watches' stall watchdog and timeouts (tests shorten them) */
  informer?: Omit<InformerSettings, 'clock'>;
}

/** A failed informer is restarted after this, doubled at each failure in a row up to RESTART_MAX_MS. */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** While the API is unavailable, it is asked this often whether it answers again, and the watches restarted once it does. */
const UNAVAILABLE_POLL_MS = 1000;

const key = (s: Pick<Sample, 'kind' | 'subject'>) => `${s.kind}|${s.subject}`;

/**
 * The cluster view of a case: informers (list + watch, from client-node) on the Deployments and
 * pods of the case's namespaces and on the nodes. Every change of a workload's desired / ready /
 * available replicas or restarts, and of the nodes' Ready count, becomes a ClusterSampleRecord
 * stamped with the instant the watch delivered it; `recovery()` derives from them when every
 * workload or the nodes that the faults affected were whole again. The Events of the same namespaces
 * are watched too: the key ones (see cluster-events.ts) become ClusterEventRecords stamped with the
 * event's own time.
 */
export class ClusterWatch {
  private readonly informers: Informer<KubernetesObject>[] = [];
  private readonly workloads = new Map<string, Workload>();
  private readonly pods = new Map<string, V1Pod>();
  private readonly nodes = new Map<string, V1Node>();
  private readonly last = new Map<string, Sample>();
  /** every sample, in order, for the recovery computation */
  readonly samples: Sample[] = [];
  /** what the view could not watch (RBAC), as said to the case */
  readonly problems: string[] = [];
  private stopped = false;
  private readonly stopping = new AbortController();
  /** false while the informers list: the first sample is taken once every list is in */
  private listed = false;
  private keyEvents: KeyEvents | null = null;
  /** since when (epoch ms) the watches fail because the API is unavailable; null while it answers */
  private apiDownSince: number | null = null;
  /** the outages the view went through, for the case's record */
  readonly outages: Array<{ from: number; to: number | null; why: string }> = [];
  private answering: Promise<void> | null = null;

  constructor(private readonly d: ClusterWatchDeps) {}

  /** Lists and starts watching; resolves once the initial state is recorded. A failure is logged, not fatal. */
  async start(): Promise<void> {
    const { kc, apps, core } = this.d.kube;
    const settings: InformerSettings = { clock: this.d.clock, onStall: (path) => this.d.log.warn({ path }, 'cluster watch stalled; restarted with a new list'), ...this.d.informer };
    const informer = <T extends KubernetesObject>(path: string, list: Parameters<typeof makeResilientInformer<T>>[2]) => {
      const i = makeResilientInformer<T>(kc, path, list, settings);
      this.keep(i, path);
      return i;
    };
    const watch = <T extends KubernetesObject>(i: Informer<T>, store: Map<string, T>, prefix: string) => {
      const id = (o: T) => `${prefix}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      const upsert = (o: T) => {
        store.set(id(o), o);
        this.sample();
      };
      i.on('add', upsert);
      i.on('update', upsert);
      i.on('delete', (o) => {
        store.delete(id(o));
        this.sample();
      });
    };
    const events = (i: Informer<CoreV1Event>) => {
      const take = (e: CoreV1Event) => this.event(e);
      i.on('add', take);
      i.on('update', take);
    };
    try {
      this.keyEvents = new KeyEvents(this.d.clock.wallNow());
      // StatefulSets and DaemonSets count for "cluster recovered" where the cluster serves them (the embedded one does not)
      const served = new Set((await apps.getAPIResources().catch((err: unknown) => {
        this.d.log.warn({ err: errorMessage(err) }, 'cannot list the apps/v1 resources: StatefulSets and DaemonSets not watched');
        return { resources: [] };
      })).resources.map((r) => r.name));
      const workloads = this.workloads as Map<string, KubernetesObject>;
      if (this.d.namespaces === 'all') {
        watch(informer('/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces()), workloads, 'deployment');
        if (served.has('statefulsets')) watch(informer('/apis/apps/v1/statefulsets', () => apps.listStatefulSetForAllNamespaces()), workloads, 'statefulset');
        if (served.has('daemonsets')) watch(informer('/apis/apps/v1/daemonsets', () => apps.listDaemonSetForAllNamespaces()), workloads, 'daemonset');
        watch(informer('/api/v1/pods', () => core.listPodForAllNamespaces()), this.pods, 'pod');
        if (this.d.writeEvents) events(informer('/api/v1/events', () => core.listEventForAllNamespaces()));
      }
      for (const namespace of this.d.namespaces === 'all' ? [] : this.d.namespaces) {
        watch(informer(`/apis/apps/v1/namespaces/${namespace}/deployments`, () => apps.listNamespacedDeployment({ namespace })), workloads, 'deployment');
        if (served.has('statefulsets')) watch(informer(`/apis/apps/v1/namespaces/${namespace}/statefulsets`, () => apps.listNamespacedStatefulSet({ namespace })), workloads, 'statefulset');
        if (served.has('daemonsets')) watch(informer(`/apis/apps/v1/namespaces/${namespace}/daemonsets`, () => apps.listNamespacedDaemonSet({ namespace })), workloads, 'daemonset');
        watch(informer(`/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace })), this.pods, 'pod');
        if (this.d.writeEvents) events(informer(`/api/v1/namespaces/${namespace}/events`, () => core.listNamespacedEvent({ namespace })));
      }
      watch(informer('/api/v1/nodes', () => core.listNode()), this.nodes, 'node');
      await Promise.all(this.informers.map((i) => i.start()));
      this.listed = true;
      this.sample();
    } catch (err) {
      this.d.log.warn({ err: errorMessage(err) }, 'cannot watch the cluster: no cluster view for this case');
    }
  }

  /**
   * Restarts an informer that failed, with back-off, unless the API server refuses crt the resource
   * (401, 403): retrying cannot help, so the case says what the view misses and why, once.
   */
  private keep(informer: Informer<KubernetesObject>, path: string): void {
    let failures = 0;
    informer.on('add', () => (failures = 0));
    informer.on('update', () => (failures = 0));
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      const status = apiStatus(err) ?? (err as { statusCode?: number } | null)?.statusCode;
      if (status === 401 || status === 403) {
        const why = apiStatus(err) ? apiMessage(err) : `${errorMessage(err)} (HTTP ${status})`;
        const message = `cluster view: the API server refuses to list or watch ${path}: ${why}; ` +
          'the case\'s cluster view and "cluster recovered" miss it: grant list and watch on it (deploy/k8s/rbac.yaml)';
        this.problems.push(message);
        this.d.log.error({ path, status }, 'cluster watch refused; not retried');
        this.d.problem?.(message);
        return;
      }
      if (isApiUnavailable(err)) this.apiUnavailable(err);
      if (this.apiDownSince !== null) {
        // the view holds its last state; its watches start again as soon as the API answers
        this.untilAnswering().then(() => informer.start(), () => undefined).catch(() => undefined);
        return;
      }
      const waitMs = Math.min(RESTART_MAX_MS, RESTART_MS * 2 ** failures++);
      this.d.log.warn({ path, err: errorMessage(err), retryInMs: waitMs }, 'cluster watch failed; restarting it');
      this.d.clock.sleep(waitMs, this.stopping.signal).then(() => informer.start(), () => undefined).catch(() => undefined);
    });
    this.informers.push(informer);
  }

  private apiUnavailable(err: unknown): void {
    if (this.apiDownSince !== null) return;
    const since = this.d.clock.wallNow();
    this.apiDownSince = since;
    const why = apiStatus(err) ? apiMessage(err) : errorMessage(err);
    this.outages.push({ from: since, to: null, why });
    this.d.log.warn({ since: new Date(since).toISOString(), err: why }, 'cluster view: API unavailable');
    this.d.note?.(`cluster view: API unavailable since ${new Date(since).toISOString()} (${why}); the view holds the last state it saw, and resumes when the API answers`);
  }

  /** Resolves once the API answers (one poller for every watch waiting); rejects when the view stops. */
  private untilAnswering(): Promise<void> {
    this.answering ??= (async () => {
      for (;;) {
        await this.d.clock.sleep(UNAVAILABLE_POLL_MS, this.stopping.signal);
        const ok = await this.d.kube.core.getAPIResources().then(() => true, () => false);
        if (!ok) continue;
        const since = this.apiDownSince!;
        const back = this.d.clock.wallNow();
        const outage = this.outages[this.outages.length - 1];
        if (outage) outage.to = back;
        this.apiDownSince = null;
        this.d.log.info({ since: new Date(since).toISOString(), back: new Date(back).toISOString() }, 'cluster view: API answers again');
        this.d.note?.(`cluster view: the API answers again at ${new Date(back).toISOString()}, after ${((back - since) / 1000).toFixed(1)} s unavailable; watches resumed`);
        return;
      }
    })().finally(() => { this.answering = null; });
    return this.answering;
  }

  private event(e: CoreV1Event): void {
    if (this.stopped || !this.keyEvents || !this.d.writeEvents) return;
    const r = this.keyEvents.take(e);
    if (r) this.d.writeEvents([{ ...r, run: this.d.run, case: this.d.case, layer: this.d.layer, phase: this.d.phase() }]);
  }

  /**
   * The most Ready replicas each watched Deployment had between `fromT` and `toT` (epoch ms): its count
   * when the window opened, and every change inside it. Empty when the watch saw nothing.
   */
  maxReady(fromT: number, toT: number): Record<string, number> {
    const before = new Map<string, number>();
    const max = new Map<string, number>();
    for (const s of this.samples) {
      if (s.kind !== 'workload' || s.t >= toT) continue;
      if (s.t <= fromT) before.set(s.subject, s.ready);
      else max.set(s.subject, Math.max(max.get(s.subject) ?? before.get(s.subject) ?? 0, s.ready));
    }
    for (const [subject, ready] of before) max.set(subject, Math.max(max.get(subject) ?? 0, ready));
    return Object.fromEntries([...max].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
  }

  private sample(): void {
    if (this.stopped || !this.listed) return;
    const t = this.d.clock.wallNow();
    const current: Sample[] = [];
    // restarts per deployment in one pass over the pods (this runs on every watched change)
    const restarts = new Map<string, number>();
    for (const p of this.pods.values()) {
      const owner = ownerWorkload(p);
      if (!owner) continue;
      const subject = `${owner.kind}/${p.metadata?.namespace ?? ''}/${owner.name}`;
      restarts.set(subject, (restarts.get(subject) ?? 0) + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0));
    }
    // keyed by subject: `deployment/<ns>/<name>`, `statefulset/…`, `daemonset/…`
    for (const [subject, w] of this.workloads) current.push({ t, kind: 'workload', subject, ...replicas(subject, w), restarts: restarts.get(subject) ?? 0 });
    if (this.nodes.size > 0) {
      const nodes = [...this.nodes.values()];
      const ready = nodes.filter(isNodeReady);
      current.push({ t, kind: 'nodes', subject: 'nodes', desired: nodes.length, ready: ready.length, available: ready.filter((n) => !n.spec?.unschedulable).length, restarts: 0 });
    }
    const changed = current.filter((s) => {
      const prev = this.last.get(key(s));
      return !prev || prev.desired !== s.desired || prev.ready !== s.ready || prev.available !== s.available || prev.restarts !== s.restarts;
    });
    if (changed.length === 0) return;
    for (const s of changed) this.last.set(key(s), s);
    this.samples.push(...changed);
    this.d.write(changed.map((s) => ({ ...s, run: this.d.run, case: this.d.case, layer: this.d.layer, phase: this.d.phase() })));
  }

  /**
   * Cluster-view recovery from an injection at `injectedAt` (epoch ms): the subjects that were not
   * whole (ready or available below desired) at some point after it, and the instant the last of
   * them became whole again for good. `originMs` turns instants into offsets.
   */
  recovery(injectedAt: number, originMs: number): ClusterRecovery {
    // nodes are whole when Ready: a cordon is what a drain holds by design until its revert (and
    // what an operator may hold before the run), not a loss the cluster has to recover from
    const whole = (s: Sample) => s.ready >= s.desired && (s.kind === 'nodes' || s.available >= s.desired);
    const affected = new Set<string>();
    const state = new Map<string, Sample>();
    let recoveredAt: number | null = null;
    for (const s of this.samples) {
      state.set(key(s), s);
      if (s.t < injectedAt) continue;
      if (!whole(s)) affected.add(s.subject);
      if ([...state.values()].every((x) => !affected.has(x.subject) || whole(x))) {
        if (affected.size > 0 && recoveredAt === null) recoveredAt = s.t;
      } else {
        recoveredAt = null;
      }
    }
    const recovered = affected.size === 0 ? injectedAt : recoveredAt;
    return {
      affected: [...affected].sort(),
      recoveredAtMs: recovered === null ? null : Math.round(recovered - originMs),
      recoveryTimeMs: recovered === null ? null : Math.round(recovered - injectedAt),
    };
  }
}

/** Desired, Ready and available pods of a workload, as `kubectl get` shows them. */
function replicas(subject: string, w: Workload): Pick<Sample, 'desired' | 'ready' | 'available'> {
  if (subject.startsWith('daemonset/')) {
    const s = (w as V1DaemonSet).status;
    return { desired: s?.desiredNumberScheduled ?? 0, ready: s?.numberReady ?? 0, available: s?.numberAvailable ?? 0 };
  }
  const d: V1Deployment | V1StatefulSet = w as V1Deployment | V1StatefulSet; // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion -- a DaemonSet was ruled out by its subject
  return { desired: d.spec?.replicas ?? 1, ready: d.status?.readyReplicas ?? 0, available: d.status?.availableReplicas ?? 0 };
}

/**
 * The workload a pod belongs to: a StatefulSet or DaemonSet owner as it is, a ReplicaSet owner's
 * Deployment (the ReplicaSet's name without the pod-template-hash).
 */
export function ownerWorkload(pod: V1Pod): { kind: 'deployment' | 'statefulset' | 'daemonset'; name: string } | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller !== false && ['ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(o.kind));
  if (!owner) return undefined;
  if (owner.kind === 'StatefulSet') return { kind: 'statefulset', name: owner.name };
  if (owner.kind === 'DaemonSet') return { kind: 'daemonset', name: owner.name };
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  const rs = owner.name;
  return { kind: 'deployment', name: hash && rs.endsWith(`-${hash}`) ? rs.slice(0, -hash.length - 1) : rs.replace(/-[a-z0-9]+$/, '') };
}
