import { ApiError, type KObject } from '../api/index.js';
import { isPodReady, selectorMatches } from '../controllers/index.js';
import { rfc3339, type DeleteOptions, type Store } from '../store/index.js';
import type { SubresourceHandler } from './resource-handler.js';

const PDBS = 'policy/poddisruptionbudgets';
/** The eviction REST's MaxDisruptedPodSize. */
const MAX_DISRUPTED_PODS = 2000;
const VIOLATES = "Cannot evict pod as it would violate the pod's disruption budget.";

/**
 * POST pods/<name>/eviction (policy/v1 Eviction), as the real API server's eviction REST: a pod covered
 * by a PodDisruptionBudget with no disruption left is refused with 429 (kubectl drain retries); otherwise
 * the pod joins the budget's disruptedPods, the budget's disruptionsAllowed drops by one, and the pod is
 * deleted with the eviction's deleteOptions (gracefully: its kubelet stops it). Answers 201 and a
 * Success Status.
 */
export const evictionHandler: SubresourceHandler = ({ store, namespace, name, method, body }) => {
  if (method !== 'POST') {
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} pods/eviction)`);
  }
  const eviction = checkEviction(body, name);
  const pod = store.get('pods', namespace, name);
  const opts = deleteOptionsOf(eviction.deleteOptions);
  if (!bypassesBudgets(pod)) {
    const pdbs = store.snapshot(PDBS, namespace, (b) => selectorMatches(b.spec?.selector, pod.metadata.labels));
    if (pdbs.length > 1) {
      throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    if (pdbs.length === 1 && !unhealthyPodMayGo(pod, pdbs[0]!)) takeDisruption(store, pdbs[0]!, pod, opts.dryRun === true);
  }
  store.delete('pods', namespace, name, opts);
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
};

function checkEviction(body: unknown, name: string): KObject & { deleteOptions?: Record<string, unknown> } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a policy/v1 Eviction');
  const eviction = body as KObject & { deleteOptions?: Record<string, unknown> };
  if (eviction.metadata?.name !== name) throw new ApiError(400, 'BadRequest', 'name in URL does not match name in Eviction object');
  return eviction;
}

function deleteOptionsOf(raw: Record<string, unknown> | undefined): DeleteOptions {
  const o = raw ?? {};
  const policy = o.propagationPolicy ?? (o.orphanDependents === true ? 'Orphan' : undefined);
  return {
    ...(typeof o.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: o.gracePeriodSeconds } : {}),
    ...(policy === 'Orphan' || policy === 'Background' || policy === 'Foreground' ? { propagationPolicy: policy } : {}),
    ...(o.preconditions && typeof o.preconditions === 'object' ? { preconditions: o.preconditions } : {}),
    ...(Array.isArray(o.dryRun) && o.dryRun.includes('All') ? { dryRun: true } : {}),
  };
}

/** canIgnorePDB: a pod that is not running (pending, finished) or already terminating costs no disruption. */
function bypassesBudgets(pod: KObject): boolean {
  const phase = pod.status?.phase ?? 'Pending';
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || Boolean(pod.metadata.deletionTimestamp);
}

/**
 * unhealthyPodEvictionPolicy: a running pod that is not Ready goes without a disruption when the policy is
 * AlwaysAllow, or (IfHealthyBudget, the default) when the budget already has its desired healthy pods.
 */
function unhealthyPodMayGo(pod: KObject, pdb: KObject): boolean {
  if (isPodReady(pod)) return false;
  if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true;
  const s = pdb.status ?? {};
  return (pdb.status?.observedGeneration ?? 0) >= (pdb.metadata.generation ?? 1) && (s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) && (s.desiredHealthy ?? 0) > 0;
}

/** checkAndDecrement: 429 when the budget allows no disruption now, otherwise one disruption is used. */
function takeDisruption(store: Store, pdb: KObject, pod: KObject, dryRun: boolean): void {
  const name = pdb.metadata.name!;
  const status = pdb.status ?? {};
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
  }
  const allowed: number = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw new ApiError(403, 'Forbidden', 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw new ApiError(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  if (dryRun) return;
  store.mutate(PDBS, pdb.metadata.namespace, name, (draft) => {
    draft.status.disruptionsAllowed = allowed - 1;
    draft.status.disruptedPods = { ...(draft.status.disruptedPods ?? {}), [pod.metadata.name!]: rfc3339(store.now()) };
  }, { subresource: 'status' });
}

function tooManyRequests(cause: string): ApiError {
  return new ApiError(429, 'TooManyRequests', VIOLATES, { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}
