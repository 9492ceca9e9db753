import type { KObject } from '../api/index.js';
import { rfc3339 } from '../store/index.js';
import { maxUnavailable, specReplicas, sumStatus } from './deployment-util.js';

/** Deployment status and conditions: sync.go calculateStatus and progress.go syncRolloutStatus. */

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';

export function getCondition(status: any, type: string): DeploymentCondition | undefined {
  return (status?.conditions as DeploymentCondition[] | undefined)?.find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = rfc3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps the transition time. */
export function setCondition(status: any, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = current && current.status === cond.status ? { ...cond, lastTransitionTime: current.lastTransitionTime } : cond;
  status.conditions = [...((status.conditions as DeploymentCondition[] | undefined) ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = (status.conditions as DeploymentCondition[]).filter((c) => c.type !== type);
}

export const hasProgressDeadline = (d: KObject): boolean => {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
};

/** calculateStatus: counts from the ReplicaSets, and the Available condition. */
export function calculateStatus(allRSs: Array<KObject | undefined>, newRS: KObject | undefined, d: KObject, nowMs: number): any {
  const available = sumStatus(allRSs, 'availableReplicas');
  const total = allRSs.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
  const status: any = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** DeploymentComplete: every desired replica updated and available, the spec observed. */
export function deploymentComplete(d: KObject, status: any): boolean {
  const want = specReplicas(d);
  return status.updatedReplicas === want && status.replicas === want && status.availableReplicas === want
    && status.observedGeneration >= (d.metadata.generation ?? 1);
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available than last time. */
function deploymentProgressing(d: KObject, next: any): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = next.replicas - next.updatedReplicas;
  return next.updatedReplicas > (old.updatedReplicas ?? 0) || newOld < oldOld
    || next.readyReplicas > (old.readyReplicas ?? 0) || next.availableReplicas > (old.availableReplicas ?? 0);
}

function deploymentTimedOut(d: KObject, status: any, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, 'Progressing');
  if (!cond || cond.reason === NEW_RS_AVAILABLE) return false;
  if (cond.reason === TIMED_OUT) return true;
  return Date.parse(cond.lastUpdateTime) + Number(d.spec.progressDeadlineSeconds) * 1000 < nowMs;
}

/** syncRolloutStatus's new status: counts plus the Progressing condition a rollout moves through. */
export function rolloutStatus(allRSs: Array<KObject | undefined>, newRS: KObject | undefined, d: KObject, nowMs: number): any {
  const status = calculateStatus(allRSs, newRS, d, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === NEW_RS_AVAILABLE;
  if (!hasProgressDeadline(d) || complete) return status;
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (deploymentComplete(d, status)) {
    setCondition(status, newCondition('Progressing', 'True', NEW_RS_AVAILABLE, `${subject} has successfully progressed.`, nowMs));
  } else if (deploymentProgressing(d, status)) {
    // Progress refreshes lastUpdateTime even with the same reason: that is what the deadline is measured from.
    const cond = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${subject} is progressing.`, nowMs);
    if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
    removeCondition(status, 'Progressing');
    setCondition(status, cond);
  } else if (deploymentTimedOut(d, status, nowMs)) {
    setCondition(status, newCondition('Progressing', 'False', TIMED_OUT, `${subject} has timed out progressing.`, nowMs));
  }
  return status;
}

/**
 * requeueStuckDeployment: when to look again for a deadline that may pass without any event (ms), if ever.
 * Two departures from client-go, which re-adds the key rate-limited (5 ms first) and forgets the
 * rate limit when the sync succeeds: a finished rollout (NewReplicaSetAvailable) whose pods went
 * unavailable — a lost node — is not looked at again, since rolloutStatus never times a finished
 * rollout out; and a deadline less than a second away is checked in a second, not at once. With
 * client-go's 5 ms, a Deployment of a lost node was synced again and again until its pods came back,
 * which in this one-threaded cluster took a whole core (measured: 45 s of CPU in 40 s of node loss)
 * and starved every Service proxy and probe.
 */
export function stuckRequeueMs(d: KObject, status: any, nowMs: number): number | undefined {
  const cond = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, status) || cond.reason === TIMED_OUT || cond.reason === NEW_RS_AVAILABLE) return undefined;
  const after = Date.parse(cond.lastUpdateTime) + Number(d.spec.progressDeadlineSeconds) * 1000 - nowMs;
  return after < 1000 ? 1000 : after + 1000;
}
