import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { FaultError, type FaultContext } from './fault.js';
import { jsonPatch, kubeCall, mergePatch, requireKube } from './kube-common.js';

const POLL_MS = 250;

/** Where a rollout stands, as `kubectl rollout status` reads a workload's status. */
export type RolloutState = { done: true; message: string } | { done: false; message: string; failed?: boolean };

/** The workloads `rollout` acts on, by the plan's key. */
export type RolloutKind = 'deployment' | 'statefulset';

/** What rollout needs of a workload, whichever kind: read, patch, its revision and kubectl's reading of its status. */
export interface RolloutWorkload {
  kind: RolloutKind;
  namespace: string;
  name: string;
  /** `deployment demo/gateway`, for messages */
  label: string;
  read(): Promise<V1Deployment | V1StatefulSet>;
  patch(body: unknown, json: boolean): Promise<V1Deployment | V1StatefulSet>;
  /** the Deployment's revision annotation, or the StatefulSet's current controller revision */
  revision(obj: V1Deployment | V1StatefulSet): string | null;
  state(obj: V1Deployment | V1StatefulSet): RolloutState;
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The workload `kind/namespace/name` through the context's clients. */
export function rolloutWorkload(ctx: FaultContext, kind: RolloutKind, namespace: string, name: string): RolloutWorkload {
  const kube = requireKube(ctx, 'rollout');
  const label = `${kind} ${namespace}/${name}`;
  const patchType = (json: boolean) => (json ? jsonPatch() : mergePatch());
  if (kind === 'statefulset') {
    return {
      kind, namespace, name, label,
      read: () => kubeCall(`read ${label}`, () => kube.apps.readNamespacedStatefulSet({ name, namespace })),
      patch: (body, json) => kubeCall(`patch ${label}`, () => kube.apps.patchNamespacedStatefulSet({ name, namespace, body }, patchType(json))),
      revision: (s) => (s as V1StatefulSet).status?.currentRevision ?? null,
      state: (s) => statefulSetRolloutState(s as V1StatefulSet),
    };
  }
  return {
    kind, namespace, name, label,
    read: () => kubeCall(`read ${label}`, () => kube.apps.readNamespacedDeployment({ name, namespace })),
    patch: (body, json) => kubeCall(`patch ${label}`, () => kube.apps.patchNamespacedDeployment({ name, namespace, body }, patchType(json))),
    revision: (d) => d.metadata?.annotations?.[REVISION] ?? null,
    state: (d) => rolloutState(d),
  };
}

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
 * kubectl's StatefulSetStatusViewer: only a RollingUpdate strategy has a status to wait for (OnDelete
 * waits for someone to delete the pods); then the generation observed, every replica ready, and, with
 * a partition (the API server defaults it to 0), every pod from the partition up updated; without
 * one, the update revision become the current one.
 */
export function statefulSetRolloutState(s: V1StatefulSet): RolloutState {
  const name = s.metadata?.name ?? '?';
  const status = s.status ?? { replicas: 0 };
  const strategy = s.spec?.updateStrategy;
  if (strategy?.type && strategy.type !== 'RollingUpdate') {
    return { done: false, failed: true, message: `statefulset "${name}" has the ${strategy.type} update strategy: its pods change only when deleted (rollout status is only available for RollingUpdate)` };
  }
  if (!status.observedGeneration || (s.metadata?.generation ?? 0) > status.observedGeneration) return { done: false, message: 'waiting for the statefulset spec update to be observed' };
  const wanted = s.spec?.replicas ?? 1;
  const ready = status.readyReplicas ?? 0;
  if (ready < wanted) return { done: false, message: `waiting for ${wanted - ready} pods to be ready` };
  const updated = status.updatedReplicas ?? 0;
  const partition = strategy?.rollingUpdate?.partition;
  if (partition !== undefined) {
    if (updated < wanted - partition) return { done: false, message: `waiting for the partitioned roll out to finish: ${updated} out of ${wanted - partition} new pods have been updated` };
    return { done: true, message: `partitioned roll out complete: ${updated} new pods have been updated` };
  }
  if (status.updateRevision !== status.currentRevision) return { done: false, message: `waiting for the statefulset rolling update to complete: ${updated} pods at revision ${status.updateRevision ?? '?'}` };
  return { done: true, message: `statefulset rolling update complete: ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision ?? '?'}` };
}

/**
 * Polls the workload until its rollout is complete; FaultError on a progress deadline, an OnDelete
 * StatefulSet or `timeoutMs`. `onRead` sees every read, at the clock's time of the read (the recreate
 * outage is measured from them).
 */
export async function waitForRollout(
  ctx: FaultContext, workload: RolloutWorkload, timeoutMs: number, onRead?: (obj: V1Deployment | V1StatefulSet, atMs: number) => void,
): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const obj = await workload.read();
    onRead?.(obj, ctx.clock.now());
    const state = workload.state(obj);
    if (state.done) return;
    if (state.failed) throw new FaultError(`rollout of ${workload.label} failed: ${state.message}`);
    if (ctx.clock.now() >= deadline) throw new FaultError(`rollout of ${workload.label} not complete after ${Math.round(timeoutMs / 1000)} s: ${state.message}`);
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
}
