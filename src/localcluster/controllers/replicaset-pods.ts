import type { KObject } from '../api/index.js';
import {
  isPodActive, isPodAvailable, isPodReady, newControllerRef, podPhase, podReadySinceMs,
} from './objects.js';

/** The pods a ReplicaSet would create: its template, named `<rs>-xxxxx`, controlled by it. */
export function podFromTemplate(rs: KObject): KObject {
  const template = rs.spec?.template ?? {};
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ...(meta.labels ? { labels: structuredClone(meta.labels) } : {}),
      ...(meta.annotations ? { annotations: structuredClone(meta.annotations) } : {}),
      ...(meta.finalizers ? { finalizers: structuredClone(meta.finalizers) } : {}),
      ownerReferences: [newControllerRef(rs)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function deletionCost(pod: KObject): number {
  const n = Number(pod.metadata.annotations?.[DELETION_COST] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function maxRestarts(pod: KObject): number {
  return Math.max(0, ...((pod.status?.containerStatuses as any[] | undefined) ?? []).map((s) => Number(s.restartCount ?? 0)));
}

/** Later first; a missing time counts as the latest (afterOrZero). */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return b - a;
}

/**
 * controller.ActivePodsWithRanks.Less: the pods a scale-down deletes first. Unscheduled before scheduled,
 * Pending < Unknown < Running, not ready before ready, lower deletion cost, more co-located siblings,
 * ready for less time, more restarts, newer.
 */
function compareForDeletion(a: KObject, b: KObject, rankA: number, rankB: number): number {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const pa = PHASE_ORDINAL[podPhase(a)] ?? 3;
  const pb = PHASE_ORDINAL[podPhase(b)] ?? 3;
  if (pa !== pb) return pa - pb;
  if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  if (rankA !== rankB) return rankB - rankA;
  if (isPodReady(a) && isPodReady(b)) {
    const byReady = laterFirst(podReadySinceMs(a), podReadySinceMs(b));
    if (byReady !== 0) return byReady;
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
  const byCreated = laterFirst(Date.parse(a.metadata.creationTimestamp ?? '') || undefined, Date.parse(b.metadata.creationTimestamp ?? '') || undefined);
  if (byCreated !== 0) return byCreated;
  return (b.metadata.name ?? '') < (a.metadata.name ?? '') ? -1 : 1;
}

/**
 * getPodsToDelete: `count` pods of `pods`, ranked as above. `related` are the active pods of every
 * ReplicaSet of the same owner; a pod sharing its node with many of them is a better victim.
 */
export function podsToDelete(pods: KObject[], related: KObject[], count: number): KObject[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) perNode.set(p.spec?.nodeName ?? '', (perNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: perNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, y.pod, x.rank, y.rank));
  return ranked.slice(0, count).map((r) => r.pod);
}

export interface ReplicaSetCounts {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

/** replica_set_utils.calculateStatus over the ReplicaSet's active pods. */
export function countReplicas(rs: KObject, pods: KObject[], nowMs: number): ReplicaSetCounts {
  const templateLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = Number(rs.spec?.minReadySeconds ?? 0);
  let fullyLabeledReplicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  for (const pod of pods) {
    if (Object.entries(templateLabels).every(([k, v]) => pod.metadata.labels?.[k] === v)) fullyLabeledReplicas++;
    if (isPodReady(pod)) readyReplicas++;
    if (isPodAvailable(pod, minReady, nowMs)) availableReplicas++;
  }
  return { replicas: pods.length, fullyLabeledReplicas, readyReplicas, availableReplicas };
}

/** When the next ready-but-not-yet-available pod becomes available (ms from now), if any. */
export function nextAvailabilityInMs(rs: KObject, pods: KObject[], nowMs: number): number | undefined {
  const minReady = Number(rs.spec?.minReadySeconds ?? 0);
  if (minReady <= 0) return undefined;
  let soonest: number | undefined;
  for (const pod of pods) {
    const since = podReadySinceMs(pod);
    if (since === undefined || isPodAvailable(pod, minReady, nowMs)) continue;
    const inMs = since + minReady * 1000 - nowMs + 1;
    soonest = soonest === undefined ? inMs : Math.min(soonest, inMs);
  }
  return soonest;
}
