import { silentLogger, systemClock } from '../../../src/core/index.js';
import { action } from '../../helpers/action.js';
import type { FaultContext, FaultDefinition, FaultPlan, RevertRecord } from '../../../src/faults/index.js';
import { kubeClients } from '../../../src/kube/index.js';
import type { FaultKind } from '../../../src/plan/schema-actions.js';

/** A fault context on the cluster of `kubeconfig`, with clients of its own (as another process would build). */
export function faultContext(kubeconfig: string, planDir: string, step = 'step-1'): FaultContext {
  return {
    runId: 'run-test', caseId: 'CASE-01', step, clock: systemClock, log: silentLogger,
    signal: new AbortController().signal, planDir, kubeconfig, kube: kubeClients({ kubeconfig }),
  };
}

export { action };

/** Plans and applies; the revert record comes back through JSON, as the journal stores it. */
export async function inject(def: FaultDefinition, kind: FaultKind, params: Record<string, unknown>, ctx: FaultContext): Promise<{ plan: FaultPlan; record: RevertRecord | null; result: Awaited<ReturnType<FaultPlan['apply']>> }> {
  const plan = await def.create(action(kind, params)).plan(ctx);
  const record = JSON.parse(JSON.stringify(plan.revert)) as RevertRecord | null;
  const result = await plan.apply();
  return { plan, record, result };
}

export { until } from '../../helpers/until.js';
