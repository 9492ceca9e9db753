import { makeInformer, type CoreV1Event, type Informer, type KubernetesObject, type V1Deployment, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { KubeClients } from '../kube/index.js';
import type { ClusterEventRecord, ClusterRecovery, ClusterSampleRecord, Layer, Phase } from '../results/types.js';
import { KeyEvents } from './cluster-events.js';

type Sample = Omit<ClusterSampleRecord, 'run' | 'case' | 'layer' | 'phase'>;

export interface ClusterWatchDeps {
  kube: KubeClients;
  clock: Clock;
  log: Logger;
  run: string;
  case: string;
  layer: Layer;
  /** namespaces whose Deployments and pods are followed (the case's faults' and probes', or all of them); nodes always */
  namespaces: readonly string[] | 'all';
  phase: () => Phase;
  write: (records: ClusterSampleRecord[]) => void;
  /** the key Kubernetes Events of those namespaces (all of them, node events included, for node faults) */
  writeEvents?: (records: ClusterEventRecord[]) => void;
}

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
  private readonly deployments = new Map<string, V1Deployment>();
  private readonly pods = new Map<string, V1Pod>();
  private readonly nodes = new Map<string, V1Node>();
  private readonly last = new Map<string, Sample>();
  /** every sample, in order, for the recovery computation */
  readonly samples: Sample[] = [];
  private stopped = false;
  /** false while the informers list: the first sample is taken once every list is in */
  private listed = false;
  private keyEvents: KeyEvents | null = null;

  constructor(private readonly d: ClusterWatchDeps) {}

  /** Lists and starts watching; resolves once the initial state is recorded. A failure is logged, not fatal. */
  async start(): Promise<void> {
    const { kc, apps, core } = this.d.kube;
    const keep = (informer: Informer<KubernetesObject>) => {
      informer.on('error', (err: unknown) => {
        if (this.stopped) return;
        this.d.log.warn({ err: errorMessage(err) }, 'cluster watch failed; restarting it');
        setTimeout(() => void informer.start().catch(() => undefined), 1000);
      });
      this.informers.push(informer);
    };
    const watch = <T extends KubernetesObject>(informer: Informer<T>, store: Map<string, T>) => {
      const id = (o: T) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      const upsert = (o: T) => {
        store.set(id(o), o);
        this.sample();
      };
      informer.on('add', upsert);
      informer.on('update', upsert);
      informer.on('delete', (o) => {
        store.delete(id(o));
        this.sample();
      });
      keep(informer);
    };
    const events = (informer: Informer<CoreV1Event>) => {
      const take = (e: CoreV1Event) => this.event(e);
      informer.on('add', take);
      informer.on('update', take);
      keep(informer);
    };
    try {
      this.keyEvents = new KeyEvents(this.d.clock.wallNow());
      if (this.d.namespaces === 'all') {
        watch(makeInformer(kc, '/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces()), this.deployments);
        watch(makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()), this.pods);
        if (this.d.writeEvents) events(makeInformer(kc, '/api/v1/events', () => core.listEventForAllNamespaces()));
      }
      for (const namespace of this.d.namespaces === 'all' ? [] : this.d.namespaces) {
        watch(makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/deployments`, () => apps.listNamespacedDeployment({ namespace })), this.deployments);
        watch(makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace })), this.pods);
        if (this.d.writeEvents) events(makeInformer(kc, `/api/v1/namespaces/${namespace}/events`, () => core.listNamespacedEvent({ namespace })));
      }
      watch(makeInformer(kc, '/api/v1/nodes', () => core.listNode()), this.nodes);
      await Promise.all(this.informers.map((i) => i.start()));
      this.listed = true;
      this.sample();
    } catch (err) {
      this.d.log.warn({ err: errorMessage(err) }, 'cannot watch the cluster: no cluster view for this case');
    }
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
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
  }

  private sample(): void {
    if (this.stopped || !this.listed) return;
    const t = this.d.clock.wallNow();
    const current: Sample[] = [];
    // restarts per deployment in one pass over the pods (this runs on every watched change)
    const restarts = new Map<string, number>();
    for (const p of this.pods.values()) {
      const owner = ownerDeployment(p);
      if (!owner) continue;
      const subject = `deployment/${p.metadata?.namespace ?? ''}/${owner}`;
      restarts.set(subject, (restarts.get(subject) ?? 0) + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0));
    }
    for (const dep of this.deployments.values()) {
      const subject = `deployment/${dep.metadata?.namespace ?? ''}/${dep.metadata?.name ?? ''}`;
      current.push({
        t, kind: 'workload', subject,
        desired: dep.spec?.replicas ?? 1, ready: dep.status?.readyReplicas ?? 0, available: dep.status?.availableReplicas ?? 0,
        restarts: restarts.get(subject) ?? 0,
      });
    }
    if (this.nodes.size > 0) {
      const nodes = [...this.nodes.values()];
      const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
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

/** The Deployment a pod belongs to: its ReplicaSet owner's name without the pod-template-hash. */
function ownerDeployment(pod: V1Pod): string | undefined {
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!rs) return undefined;
  return hash && rs.endsWith(`-${hash}`) ? rs.slice(0, -hash.length - 1) : rs.replace(/-[a-z0-9]+$/, '');
}
