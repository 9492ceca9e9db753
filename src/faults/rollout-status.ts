import type { V1Deployment } from '@kubernetes/client-node';
import { FaultError, type FaultContext } from './fault.js';
import { kubeCall, requireKube } from './kube-common.js';

const POLL_MS = 250;

/** Where a rollout stands, as `kubectl rollout status` reads a Deployment's status. */
export type RolloutState = { done: true; message: string } | { done: false; message: string; failed?: boolean };

/** kubectl's DeploymentStatusViewer: generation observed, every replica updated, old ones gone, new ones available. */
export function rolloutState(d: V1Deployment): RolloutState {
  const name = d.metadata?.name ?? '?';
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) return { done: false, message: 'waiting for the deployment spec update to be observed' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const wanted = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < wanted) return { done: false, message: `${updated} out of ${wanted} new replicas have been updated` };
  if ((status.replicas ?? 0) > updated) return { done: false, message: `${(status.replicas ?? 0) - updated} old replicas are pending termination` };
  if ((status.availableReplicas ?? 0) < updated) return { done: false, message: `${status.availableReplicas ?? 0} of ${updated} updated replicas are available` };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

/**
 * Polls the Deployment until its rollout is complete; FaultError on a progress deadline or `timeoutMs`.
 * `onRead` sees every Deployment read, at the clock's time of the read (the recreate outage is measured from them).
 */
export async function waitForRollout(ctx: FaultContext, namespace: string, name: string, timeoutMs: number, onRead?: (d: V1Deployment, atMs: number) => void): Promise<void> {
  const kube = requireKube(ctx, 'rollout');
  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const d = await kubeCall(`read deployment ${namespace}/${name}`, () => kube.apps.readNamespacedDeployment({ name, namespace }));
    onRead?.(d, ctx.clock.now());
    const state = rolloutState(d);
    if (state.done) return;
    if (state.failed) throw new FaultError(`rollout of deployment ${namespace}/${name} failed: ${state.message}`);
    if (ctx.clock.now() >= deadline) throw new FaultError(`rollout of deployment ${namespace}/${name} not complete after ${Math.round(timeoutMs / 1000)} s: ${state.message}`);
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
}
