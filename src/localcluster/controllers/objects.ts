import { labelSelectorFromMap, labelSelectorFromSpec, matchesLabels, type LabelSelector, type LabelSelectorSpec } from '../../kube/index.js';
import type { KObject, OwnerReference } from '../api/index.js';

/** `namespace/name`, the work-queue key of a namespaced object. */
export function keyOf(obj: KObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function controllerRef(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export function newControllerRef(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!,
    controller: true, blockOwnerDeletion: true,
  };
}

// Stored objects are frozen, so a parsed selector can be cached on the selector object itself.
const parsedSpecs = new WeakMap<object, LabelSelector>();
const parsedMaps = new WeakMap<object, LabelSelector>();

/** A `metav1.LabelSelector` matches the labels (a missing selector matches nothing, `{}` everything). */
export function selectorMatches(spec: LabelSelectorSpec | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!spec) return false;
  let sel = parsedSpecs.get(spec);
  if (!sel) {
    sel = labelSelectorFromSpec(spec);
    parsedSpecs.set(spec, sel);
  }
  return matchesLabels(sel, labels);
}

/** A Service's map selector matches the labels (an empty one matches nothing). */
export function mapSelectorMatches(map: Record<string, string> | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!map) return false;
  let sel = parsedMaps.get(map);
  if (!sel) {
    sel = labelSelectorFromMap(map);
    parsedMaps.set(map, sel);
  }
  return matchesLabels(sel, labels);
}

/** Oldest first, then by name: controller.ReplicaSetsByCreationTimestamp and friends. */
export function byCreation(a: KObject, b: KObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

function isTerminating(obj: KObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

function podCondition(pod: KObject, type: string): any {
  return (pod.status?.conditions as any[] | undefined)?.find((c) => c.type === type);
}

export function isPodReady(pod: KObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Succeeded or Failed: the pod will never run again. */
export function isPodTerminal(pod: KObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** controller.IsPodActive: not terminal and not being deleted. */
export function isPodActive(pod: KObject): boolean {
  return !isPodTerminal(pod) && !isTerminating(pod);
}

/** When the pod last became Ready (ms), or undefined when it is not ready. */
export function podReadySinceMs(pod: KObject): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return undefined;
  const t = Date.parse(c.lastTransitionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/** podutil.IsPodAvailable: ready for more than minReadySeconds. */
export function isPodAvailable(pod: KObject, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySinceMs(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** The pod's phase for ordering: an unreported phase is Pending. */
export function podPhase(pod: KObject): string {
  return (pod.status?.phase as string | undefined) ?? 'Pending';
}
