import type { V1Deployment, V1DeploymentStrategy, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/index.js';
import type { RevertRecord } from './fault.js';
import { kubeCall } from './kube-common.js';

/** `rollout`'s `strategy:` as the plan writes it. */
export type StrategyParam = 'recreate' | 'rolling-update';

export const STRATEGY_TYPE: Record<StrategyParam, 'Recreate' | 'RollingUpdate'> = { recreate: 'Recreate', 'rolling-update': 'RollingUpdate' };

/** JSON patch operations that set the strategy (`add` replaces; Recreate must carry no rollingUpdate, or the API refuses it). */
export function strategyOps(strategy: StrategyParam): unknown[] {
  return [{ op: 'add', path: '/spec/strategy', value: { type: STRATEGY_TYPE[strategy] } }];
}

interface StrategyRecord extends RevertRecord {
  namespace: string;
  deployment: string;
  strategy?: V1DeploymentStrategy | null;
  set?: { strategy?: string };
}

/**
 * The operations that put the strategy from before the rollout back: none when the rollout set none,
 * and none when the deployment's strategy is no longer the one crt set (someone chose another since).
 */
export async function strategyRevertOps(kube: KubeClients, r: StrategyRecord): Promise<unknown[]> {
  if (r.strategy === undefined || !r.set?.strategy) return [];
  const d = await kubeCall(`read deployment ${r.namespace}/${r.deployment}`, () => kube.apps.readNamespacedDeployment({ name: r.deployment, namespace: r.namespace }));
  if (d.spec?.strategy?.type !== r.set.strategy) return [];
  return r.strategy ? [{ op: 'add', path: '/spec/strategy', value: r.strategy }] : [];
}

/**
 * The outage of a rollout, from the workload's status as it is polled: from the first read with no
 * ready replica to the next read with one, summed (a recreate has one such stretch). Its resolution
 * is the poll interval.
 */
export class OutageMeter {
  private downSinceMs: number | null = null;
  private doneMs = 0;

  read(d: V1Deployment | V1StatefulSet, atMs: number): void {
    const ready = d.status?.readyReplicas ?? 0;
    if (ready === 0 && this.downSinceMs === null) this.downSinceMs = atMs;
    if (ready > 0 && this.downSinceMs !== null) {
      this.doneMs += atMs - this.downSinceMs;
      this.downSinceMs = null;
    }
  }

  /** The outage so far; a stretch still open counts up to `nowMs`. */
  totalMs(nowMs: number): number {
    return Math.round(this.doneMs + (this.downSinceMs === null ? 0 : nowMs - this.downSinceMs));
  }
}
