import { EnvironmentError } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import type { Store } from './store.js';

export interface AvailabilityOptions {
  namespaces?: string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Whether a Deployment has rolled out completely, by the test `kubectl rollout status` applies. */
export function deploymentDone(d: KObject): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
    && (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want;
}

/**
 * Waits until every Deployment in the namespaces is done; on time-out, says which are not and why
 * (their pods' waiting reasons), since that is what a person would look up next.
 */
export async function waitUntilAvailable(store: Store, opts: AvailabilityOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const pending = (): KObject[] => store.snapshot('apps/deployments').filter((d) =>
    (!opts.namespaces || opts.namespaces.includes(d.metadata.namespace!)) && !deploymentDone(d));
  while (pending().length > 0) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (Date.now() > deadline) {
      const names = pending().map((d) => `${d.metadata.namespace}/${d.metadata.name} (${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available)`);
      const reasons = new Set<string>();
      for (const p of store.snapshot('pods')) {
        for (const cs of p.status?.containerStatuses ?? []) if (cs.state?.waiting?.reason) reasons.add(`${p.metadata.name}: ${cs.state.waiting.reason}${cs.state.waiting.message ? ` (${cs.state.waiting.message})` : ''}`);
      }
      throw new EnvironmentError(`the embedded cluster's deployments are not available after ${Math.round(opts.timeoutMs / 1000)} s: ${names.join(', ')}`,
        { hint: reasons.size ? `waiting pods: ${[...reasons].slice(0, 5).join('; ')}` : 'look at `kubectl --kubeconfig .crt/kubeconfig get pods -A` and `get events`' });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
