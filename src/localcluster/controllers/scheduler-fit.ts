import type { KObject } from '../api/index.js';
import { parseQuantity } from '../../core/index.js';
import type { ClusterView, FitFailure } from './scheduler-filters.js';

/**
 * kube-scheduler's NodeResourcesFit filter: a pod fits a node when the requests of the pods bound
 * there, plus its own, stay within the node's allocatable cpu and memory, and the node's pod count
 * stays within its `pods` allocatable. Pods that request nothing still count against `pods`, as in
 * Kubernetes: a node full of BestEffort pods takes no more.
 */

/** The resources the filter checks, as kube-scheduler names them in its messages. */
const RESOURCES = ['cpu', 'memory'] as const;
type Resource = (typeof RESOURCES)[number];

/** One container's request for `resource`: its requests, else its limits (the API defaults requests to limits). */
function containerRequest(container: any, resource: Resource): number {
  return parseQuantity(container?.resources?.requests?.[resource]) ?? parseQuantity(container?.resources?.limits?.[resource]) ?? 0;
}

/**
 * A pod's effective request (resourcehelper.PodRequests): the sum of its containers and sidecars, or the
 * largest init container plus the sidecars started before it if that is more, plus the pod overhead.
 */
export function podRequest(pod: KObject, resource: Resource): number {
  const spec = pod.spec ?? {};
  let sidecars = 0;
  let initPeak = 0;
  for (const init of (spec.initContainers ?? []) as any[]) {
    const request = containerRequest(init, resource);
    if (init.restartPolicy === 'Always') {
      sidecars += request;
      initPeak = Math.max(initPeak, sidecars);
    } else {
      initPeak = Math.max(initPeak, sidecars + request);
    }
  }
  const regular = ((spec.containers ?? []) as any[]).reduce((sum, c) => sum + containerRequest(c, resource), 0);
  return Math.max(regular + sidecars, initPeak) + (parseQuantity(spec.overhead?.[resource]) ?? 0);
}

/** The node's allocatable `name`, or Infinity when it does not say (nothing to fit against). */
function allocatable(node: KObject, name: string): number {
  return parseQuantity(node.status?.allocatable?.[name]) ?? Infinity;
}

/**
 * NodeResourcesFit against the pods `view` has bound to `node` (terminating ones included: their
 * resources are held until they are gone, which is what makes a drain wait for room).
 */
export function resourcesFit(pod: KObject, node: KObject, view: ClusterView): FitFailure | undefined {
  const bound = (view.podsByNode.get(node.metadata.name!) ?? []).filter((p) => p.metadata.uid !== pod.metadata.uid);
  const reasons: string[] = [];
  if (bound.length + 1 > allocatable(node, 'pods')) reasons.push('Too many pods');
  for (const resource of RESOURCES) {
    const wanted = podRequest(pod, resource);
    if (wanted === 0) continue;
    const used = bound.reduce((sum, p) => sum + podRequest(p, resource), 0);
    // a small epsilon: quantities such as 100m add up in floating point
    if (used + wanted > allocatable(node, resource) + 1e-9) reasons.push(`Insufficient ${resource}`);
  }
  // kube-scheduler lists every reason of a node in its histogram; the embedded one keeps the first
  // (pods, then cpu, then memory: fitsRequest's order), which is enough to read why a pod is Pending
  const [first] = reasons;
  return first === undefined ? undefined : { reason: first, resolvable: true };
}
