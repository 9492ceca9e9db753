import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import { controllerRef } from './objects.js';
import { effectiveTaints, nodeTermMatches, podsMatchingTerm, tolerates, type ClusterView } from './scheduler-filters.js';

/**
 * Node preference among the feasible ones, compared in order rather than normalised and summed as
 * kube-scheduler does, so that placements are easy to predict: preferred (anti-)affinity weights, then
 * untolerated PreferNoSchedule taints, then spreading (fewest pods of the same owner), then fewest pods,
 * then node name.
 */
interface NodeScore {
  node: KObject;
  preference: number;
  softTaints: number;
  siblings: number;
  pods: number;
}

function preference(pod: KObject, node: KObject, view: ClusterView): number {
  const affinity = pod.spec?.affinity ?? {};
  let score = 0;
  for (const p of affinity.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (nodeTermMatches(p.preference, node)) score += Number(p.weight ?? 0);
  }
  for (const p of affinity.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    score += Number(p.weight ?? 0) * podsMatchingTerm(p.podAffinityTerm ?? {}, pod, node, view).length;
  }
  for (const p of affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    score -= Number(p.weight ?? 0) * podsMatchingTerm(p.podAffinityTerm ?? {}, pod, node, view).length;
  }
  return score;
}

/** Pods of the same controller (or, for pods without one, with the same labels): what SelectorSpread counts. */
function isSibling(pod: KObject, other: KObject): boolean {
  if (other.metadata.deletionTimestamp || other.metadata.namespace !== pod.metadata.namespace) return false;
  const owner = controllerRef(pod)?.uid;
  if (owner) return controllerRef(other)?.uid === owner;
  const labels = pod.metadata.labels ?? {};
  return Object.keys(labels).length > 0 && isDeepStrictEqual(labels, other.metadata.labels ?? {});
}

function scoreNode(pod: KObject, node: KObject, view: ClusterView): NodeScore {
  const pods = view.podsByNode.get(node.metadata.name!) ?? [];
  const softTaints = effectiveTaints(node).filter((t) => t.effect === 'PreferNoSchedule'
    && !(pod.spec?.tolerations ?? []).some((tol: any) => tolerates(tol, t))).length;
  return {
    node, preference: preference(pod, node, view), softTaints,
    siblings: pods.filter((p) => isSibling(pod, p)).length, pods: pods.length,
  };
}

/** The best of the feasible nodes. */
export function pickNode(pod: KObject, feasible: KObject[], view: ClusterView): KObject {
  const scored = feasible.map((n) => scoreNode(pod, n, view));
  scored.sort((a, b) => b.preference - a.preference || a.softTaints - b.softTaints || a.siblings - b.siblings || a.pods - b.pods
    || (a.node.metadata.name! < b.node.metadata.name! ? -1 : 1));
  return scored[0]!.node;
}
