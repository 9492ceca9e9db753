import type { V1Node, V1Pod } from '@kubernetes/client-node';

/** A pod that still runs or will: not being deleted, and not ended (Succeeded or Failed). */
export function isLivePod(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** A pod whose Ready condition is True (its endpoints take traffic). */
export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A node whose Ready condition is True. */
export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
