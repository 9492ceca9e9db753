import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod, type V1Taint, type V1Toleration } from '@kubernetes/client-node';
import { apiStatus } from './kube-common.js';

/**
 * The key of the `taint-eviction` provider's taint. Named for what it does: it is not
 * `node.kubernetes.io/unreachable` (the node lifecycle controller removes that key from a Ready node
 * within one monitor period), and it is not an unreachable node either: pods that tolerate an
 * unreachable node for 300 s do not tolerate this taint, so they go at once, shut down gracefully by
 * a kubelet that keeps running. Records of older crt versions name `crt.io/unreachable`.
 */
export const TAINT_EVICTION_KEY = 'crt.io/taint-eviction';

/** Whether a toleration matches a taint (the scheduler's ToleratesTaint). */
export function tolerates(t: V1Toleration, taint: V1Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

/**
 * How long a pod stays on a node with this NoExecute taint, in seconds, by the taint eviction
 * controller's getMinTolerationTime: 0 when no toleration matches, else the smallest
 * tolerationSeconds among the matching ones, Infinity when none of them sets one (forever).
 */
export function toleratedSeconds(pod: V1Pod, taint: V1Taint): number {
  const matching = (pod.spec?.tolerations ?? []).filter((t) => tolerates(t, taint));
  if (matching.length === 0) return 0;
  const bounded = matching.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
  if (bounded.length === 0) return Infinity;
  return Math.max(0, Math.min(...bounded));
}

export const isDaemonSetPod = (pod: V1Pod): boolean => pod.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet') === true;

export async function addTaint(core: CoreV1Api, node: string, taint: V1Taint): Promise<void> {
  await updateTaints(core, node, (taints) => (taints.some((t) => sameTaint(t, taint)) ? taints : [...taints, { ...taint, timeAdded: new Date() }]));
}

/** Removes crt's taint; false when the node no longer has it (or is gone): nothing to undo. */
export async function removeTaint(core: CoreV1Api, node: string, taint: V1Taint): Promise<boolean> {
  try {
    return await updateTaints(core, node, (taints) => taints.filter((t) => !sameTaint(t, taint)));
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
    return false;
  }
}

const sameTaint = (a: V1Taint, b: V1Taint): boolean => a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '');

/** Read-modify-write of spec.taints, guarded by resourceVersion: a taint a controller adds meanwhile is not lost. */
async function updateTaints(core: CoreV1Api, node: string, change: (taints: V1Taint[]) => V1Taint[]): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNode({ name: node });
    const taints = current.spec?.taints ?? [];
    const next = change(taints);
    if (next === taints || next.length === taints.length) return false;
    const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { taints: next.length ? next : null } };
    try {
      await core.patchNode({ name: node, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return true;
    } catch (err) {
      if (apiStatus(err) !== 409 || attempt >= 4) throw err;
    }
  }
}
