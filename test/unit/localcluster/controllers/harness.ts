import type { KObject } from '../../../../src/localcluster/api/types.js';
import type { ManualClock } from '../../../helpers/manual-clock.js';
import { rfc3339 } from '../../../../src/localcluster/store/object-names.js';
import { Store } from '../../../../src/localcluster/store/store.js';

export { ManualClock } from '../../../helpers/manual-clock.js';

/** Lets every queued watch delivery, work-queue drain and garbage-collector pass run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function newStore(clock: ManualClock, namespaces = ['default', 'demo']): Store {
  const store = new Store({ now: clock.wallNow });
  for (const name of namespaces) store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return store;
}

export interface NodeShape {
  ready?: boolean;
  unschedulable?: boolean;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  labels?: Record<string, string>;
}

export function addNode(store: Store, name: string, shape: NodeShape = {}): KObject {
  return store.create('nodes', undefined, {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...shape.labels } },
    spec: { ...(shape.unschedulable ? { unschedulable: true } : {}), ...(shape.taints ? { taints: shape.taints } : {}) },
    status: { conditions: [{ type: 'Ready', status: shape.ready === false ? 'False' : 'True', reason: 'KubeletReady', message: '' }] },
  }, { keepStatus: true });
}

export function setNodeReady(store: Store, name: string, ready: boolean): void {
  store.mutate('nodes', undefined, name, (draft) => {
    draft.status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'KubeletReady', message: '' }];
  }, { subresource: 'status' });
}

export function podSpec(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { containers: [{ name: 'app', image: 'demo/app:1', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra };
}

export function template(labels: Record<string, string>, spec: Record<string, unknown> = {}, annotations?: Record<string, string>): Record<string, unknown> {
  return { metadata: { labels, ...(annotations ? { annotations } : {}) }, spec: podSpec(spec) };
}

export function replicaSet(name: string, replicas: number, labels: Record<string, string>, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'demo' },
    spec: { replicas, selector: { matchLabels: labels }, template: template(labels), ...extra },
  };
}

export function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): KObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'demo' },
    spec: { replicas, selector: { matchLabels: labels }, template: template(labels), ...extra },
  };
}

export function events(store: Store, reason?: string): KObject[] {
  return store.snapshot('events', undefined, (e) => reason === undefined || e.reason === reason)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

/**
 * Kubelets reduced to what controllers see: a pod bound to a node gets an IP and, when `autoReady`, becomes
 * Running and Ready; a terminating pod is removed (grace 0) at once when `autoTerminate`, else on `finishTerminating`.
 */
export class FakeKubelets {
  private stopWatch: (() => void) | undefined;
  private nextIp = 1;

  constructor(private readonly store: Store, private readonly opts: { autoReady?: boolean; autoTerminate?: boolean } = {}) {}

  start(): void {
    this.stopWatch = this.store.watch('pods', undefined, {}, (e) => {
      if (e.type === 'DELETED') return;
      const pod = e.object;
      if (pod.metadata.deletionTimestamp) {
        if (this.opts.autoTerminate) this.remove(pod);
      } else if (pod.spec?.nodeName && !pod.status?.podIP) {
        this.setStatus(pod.metadata.name!, 'Pending', false);
        if (this.opts.autoReady) this.setStatus(pod.metadata.name!, 'Running', true);
      }
    });
  }

  stop(): void {
    this.stopWatch?.();
  }

  /** Marks a pod Running and Ready (or not ready). */
  setStatus(name: string, phase: string, ready: boolean, namespace = 'demo'): void {
    const stamp = rfc3339(this.store.now());
    this.store.mutate('pods', namespace, name, (draft) => {
      const status = (draft.status ??= {});
      status.phase = phase;
      status.podIP ??= `10.244.0.${this.nextIp++}`;
      const others = (status.conditions ?? []).filter((c: any) => c.type !== 'Ready' && c.type !== 'ContainersReady');
      const was = (status.conditions ?? []).find((c: any) => c.type === 'Ready');
      const since = was && (was.status === 'True') === ready ? was.lastTransitionTime : stamp;
      const flag = ready ? 'True' : 'False';
      status.conditions = [...others,
        { type: 'Ready', status: flag, lastProbeTime: null, lastTransitionTime: since },
        { type: 'ContainersReady', status: flag, lastProbeTime: null, lastTransitionTime: since }];
    }, { subresource: 'status' });
  }

  /** Makes every bound, live pod Running and Ready. */
  readyAll(): void {
    for (const pod of this.store.snapshot('pods', undefined, (p) => Boolean(p.spec?.nodeName) && !p.metadata.deletionTimestamp)) {
      if (pod.status?.conditions?.find((c: any) => c.type === 'Ready')?.status !== 'True') this.setStatus(pod.metadata.name!, 'Running', true, pod.metadata.namespace);
    }
  }

  finishTerminating(): void {
    for (const pod of this.store.snapshot('pods', undefined, (p) => Boolean(p.metadata.deletionTimestamp))) this.remove(pod);
  }

  private remove(pod: KObject): void {
    try {
      this.store.delete('pods', pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 });
    } catch {
      // already gone
    }
  }
}

export function podsOf(store: Store, labels: Record<string, string>, namespace = 'demo'): KObject[] {
  return store.snapshot('pods', namespace, (p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v));
}
