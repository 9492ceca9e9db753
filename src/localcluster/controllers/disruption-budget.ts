import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import { controllerRef, isPodReady, selectorMatches } from './objects.js';

/** The disruption controller's DeletionTimeout: an eviction not followed by a deletion this soon is forgotten. */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

/** What the disruption controller computes for one PodDisruptionBudget. */
export interface BudgetStatus {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
  /** Evictions in flight still expected to be followed by a deletion (pod name → RFC 3339 time). */
  disruptedPods: Record<string, string>;
  /** Why the budget allows nothing whatever the pods (a pod without a scalable controller), if so. */
  syncError?: string;
  /** When the oldest kept disrupted-pod entry expires, so the controller looks again then. */
  recheckAtMs?: number;
}

/** intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` rounded up or down. */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** The pods a budget covers: its namespace, its selector (a missing selector covers none, `{}` every pod). */
export function podsOfBudget(store: Store, pdb: KObject): KObject[] {
  return store.snapshot('pods', pdb.metadata.namespace, (p) => selectorMatches(pdb.spec?.selector, p.metadata.labels));
}

/**
 * disruption.Controller's trySync for one budget: expected pods (the pods' controllers' replicas when the
 * budget needs a scale, the pod count for an integer minAvailable), desired and current healthy pods
 * (Ready, not terminating, not just evicted), and how many disruptions that allows.
 */
export function budgetStatus(store: Store, pdb: KObject, pods: KObject[], nowMs: number): BudgetStatus {
  const { disruptedPods, recheckAtMs } = liveDisruptedPods(pdb, pods, nowMs);
  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && !disruptedPods[p.metadata.name!] && isPodReady(p)).length;
  let expected: { expectedPods: number; desiredHealthy: number };
  try {
    expected = expectedCounts(store, pdb, pods);
  } catch (err) {
    return { expectedPods: 0, desiredHealthy: 0, currentHealthy, disruptionsAllowed: 0, disruptedPods, syncError: (err as Error).message };
  }
  const disruptionsAllowed = Math.max(0, currentHealthy - expected.desiredHealthy);
  return { ...expected, currentHealthy, disruptionsAllowed, disruptedPods, ...(recheckAtMs !== undefined ? { recheckAtMs } : {}) };
}

/** getExpectedPodCount: maxUnavailable and a percentage minAvailable are relative to the controllers' scale. */
function expectedCounts(store: Store, pdb: KObject, pods: KObject[]): { expectedPods: number; desiredHealthy: number } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const expectedPods = controllersScale(store, pods);
    const max = scaledValue(maxUnavailable, expectedPods, true);
    return { expectedPods, desiredHealthy: Math.max(0, expectedPods - max) };
  }
  if (typeof minAvailable === 'string') {
    const expectedPods = controllersScale(store, pods);
    return { expectedPods, desiredHealthy: scaledValue(minAvailable, expectedPods, true) };
  }
  return { expectedPods: pods.length, desiredHealthy: typeof minAvailable === 'number' ? minAvailable : 0 };
}

/** The sum of the replicas of the pods' distinct controllers (a ReplicaSet counts as its Deployment). */
function controllersScale(store: Store, pods: KObject[]): number {
  const scales = new Map<string, number>();
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) throw new Error(`found no controller ref for pod "${pod.metadata.name}"`);
    if (ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) {
      throw new Error(`found no controllers for pod "${pod.metadata.name}": ${ref.kind} does not implement the scale subresource here`);
    }
    const rs = store.peek('apps/replicasets', pod.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
    const owner = controllerRef(rs);
    const deploy = owner?.kind === 'Deployment' ? store.peek('apps/deployments', rs.metadata.namespace, owner.name) : undefined;
    if (deploy && deploy.metadata.uid === owner!.uid) scales.set(deploy.metadata.uid, deploy.spec?.replicas ?? 1);
    else scales.set(rs.metadata.uid, rs.spec?.replicas ?? 1);
  }
  return [...scales.values()].reduce((a, b) => a + b, 0);
}

/** buildDisruptedPodMap: an entry stays until its pod is deleting, is gone, or the entry times out. */
function liveDisruptedPods(pdb: KObject, pods: KObject[], nowMs: number): { disruptedPods: Record<string, string>; recheckAtMs?: number } {
  const recorded: Record<string, string> = pdb.status?.disruptedPods ?? {};
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const disruptedPods: Record<string, string> = {};
  let recheckAtMs: number | undefined;
  for (const [name, stamp] of Object.entries(recorded)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expiresMs = Date.parse(stamp) + DISRUPTED_POD_TIMEOUT_MS;
    if (!(expiresMs > nowMs)) continue;
    disruptedPods[name] = stamp;
    recheckAtMs = Math.min(recheckAtMs ?? Infinity, expiresMs);
  }
  return { disruptedPods, ...(recheckAtMs !== undefined ? { recheckAtMs } : {}) };
}
