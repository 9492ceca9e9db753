import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import { rfc3339, type Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { budgetStatus, podsOfBudget, type BudgetStatus } from './disruption-budget.js';
import { keyOf, splitKey } from './objects.js';
import { QueueController } from './queue-controller.js';

const PDBS = 'policy/poddisruptionbudgets';

/**
 * kube-controller-manager's disruption controller: keeps every PodDisruptionBudget's status (expected,
 * desired and current healthy pods, disruptions allowed, the evictions in flight) in step with its pods
 * and their controllers' scale. The eviction subresource reads that status and decrements it.
 */
export class DisruptionController extends QueueController {

  constructor(store: Store, opts: ControllerOptions = {}) {
    super(store, 'disruption', opts);
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch(PDBS, undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      // Every budget of the namespace: a pod whose labels changed may have left one (events carry no old object).
      this.store.watch('pods', undefined, {}, (e) => this.namespaceChanged(e.object.metadata.namespace!)),
      // A scale change moves expectedPods for budgets with maxUnavailable or a percentage.
      this.store.watch('apps/deployments', undefined, {}, (e) => this.namespaceChanged(e.object.metadata.namespace!)),
      this.store.watch('apps/replicasets', undefined, {}, (e) => this.namespaceChanged(e.object.metadata.namespace!)),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot(PDBS).map(keyOf);
  }

  /** Recomputes one budget's status; public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const pdb = this.store.peek(PDBS, namespace, name);
    if (!pdb) return;
    const now = this.store.now();
    const computed = budgetStatus(this.store, pdb, podsOfBudget(this.store, pdb), now);
    const status = statusObject(pdb, computed, now);
    if (!isDeepStrictEqual(pdb.status ?? {}, status)) {
      this.store.mutate(PDBS, namespace, name, (draft) => {
        draft.status = status;
      }, { subresource: 'status' });
      this.log.debug({ pdb: key, disruptionsAllowed: status.disruptionsAllowed, currentHealthy: status.currentHealthy }, 'budget status updated');
    }
    if (computed.recheckAtMs !== undefined) this.queue.addAfter(key, computed.recheckAtMs - now);
  }

  private namespaceChanged(namespace: string): void {
    for (const pdb of this.store.snapshot(PDBS, namespace)) this.queue.add(keyOf(pdb));
  }
}

/** The status as the real controller writes it, with the DisruptionAllowed condition. */
function statusObject(pdb: KObject, s: BudgetStatus, nowMs: number): Record<string, any> {
  const observedGeneration = pdb.metadata.generation ?? 1;
  const allowed = s.disruptionsAllowed > 0;
  const reason = s.syncError ? 'SyncFailed' : allowed ? 'SufficientPods' : 'InsufficientPods';
  const old = (pdb.status?.conditions as any[] | undefined)?.find((c) => c.type === 'DisruptionAllowed');
  const status = allowed ? 'True' : 'False';
  const condition = {
    type: 'DisruptionAllowed', status, observedGeneration, reason, message: s.syncError ?? '',
    lastTransitionTime: old?.status === status ? old.lastTransitionTime : rfc3339(nowMs),
  };
  return {
    observedGeneration,
    ...(Object.keys(s.disruptedPods).length > 0 ? { disruptedPods: s.disruptedPods } : {}),
    disruptionsAllowed: s.disruptionsAllowed,
    currentHealthy: s.currentHealthy,
    desiredHealthy: s.desiredHealthy,
    expectedPods: s.expectedPods,
    conditions: [condition],
  };
}
