import type { KObject } from '../api/index.js';
import type { DeploymentSync } from './deployment-sync.js';
import {
  activeReplicaSets, DESIRED_REPLICAS, findActiveOrLatest, isRollingUpdate, isSaturated, maxSurge, maxUnavailable,
  newRSNewReplicas, proportion, revisionOf, specReplicas, sumSpec, sumStatus,
} from './deployment-util.js';
import { deploymentComplete, getCondition, hasProgressDeadline, newCondition, PAUSED, RESUMED, setCondition, TIMED_OUT } from './deployment-status.js';
import { byCreation, isPodTerminal } from './objects.js';

/** The Deployment strategies: rolling.go, recreate.go and the scaling half of sync.go. */

/** rolloutRolling: grow the new ReplicaSet within maxSurge, shrink old ones within maxUnavailable. */
export function rolloutRolling(s: DeploymentSync, rsList: KObject[]): void {
  const { newRS, oldRSs } = s.replicaSets(rsList, true);
  const current = newRS!;
  const scaledUp = reconcileNewReplicaSet(s, [...oldRSs, current], current);
  if (scaledUp.scaled) return s.syncRolloutStatus([...oldRSs, scaledUp.rs], scaledUp.rs);
  const scaledDown = reconcileOldReplicaSets(s, [...oldRSs, current], activeReplicaSets(oldRSs), current);
  if (scaledDown) return s.syncRolloutStatus([...oldRSs, current], current);
  if (deploymentComplete(s.d, s.d.status)) cleanupDeployment(s, oldRSs);
  s.syncRolloutStatus([...oldRSs, current], current);
}

function reconcileNewReplicaSet(s: DeploymentSync, allRSs: KObject[], newRS: KObject): { scaled: boolean; rs: KObject } {
  const want = specReplicas(s.d);
  if (specReplicas(newRS) === want) return { scaled: false, rs: newRS };
  if (specReplicas(newRS) > want) return s.scaleAndRecord(newRS, want);
  return s.scaleAndRecord(newRS, newRSNewReplicas(s.d, allRSs, newRS));
}

function reconcileOldReplicaSets(s: DeploymentSync, allRSs: KObject[], oldRSs: KObject[], newRS: KObject): boolean {
  if (sumSpec(oldRSs) === 0) return false;
  const minAvailable = specReplicas(s.d) - maxUnavailable(s.d);
  const newUnavailable = specReplicas(newRS) - Number(newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpec(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old pods go first: removing them costs no availability.
  const cleaned = cleanupUnhealthyReplicas(s, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOldReplicaSets(s, [...cleaned.oldRSs, newRS], cleaned.oldRSs);
  return cleaned.count + scaledDown > 0;
}

function cleanupUnhealthyReplicas(s: DeploymentSync, oldRSs: KObject[], maxCleanup: number): { oldRSs: KObject[]; count: number } {
  const sorted = [...oldRSs].sort(byCreation);
  let count = 0;
  for (let i = 0; i < sorted.length && count < maxCleanup; i++) {
    const rs = sorted[i]!;
    const unhealthy = specReplicas(rs) - Number(rs.status?.availableReplicas ?? 0);
    if (specReplicas(rs) === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxCleanup - count, unhealthy);
    sorted[i] = s.scaleAndRecord(rs, specReplicas(rs) - n).rs;
    count += n;
  }
  return { oldRSs: sorted, count };
}

function scaleDownOldReplicaSets(s: DeploymentSync, allRSs: KObject[], oldRSs: KObject[]): number {
  const minAvailable = specReplicas(s.d) - maxUnavailable(s.d);
  const available = sumStatus(allRSs, 'availableReplicas');
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= budget) break;
    if (specReplicas(rs) === 0) continue;
    const n = Math.min(specReplicas(rs), budget - done);
    s.scaleAndRecord(rs, specReplicas(rs) - n);
    done += n;
  }
  return done;
}

/** rolloutRecreate: every old pod gone before the new ReplicaSet is created or scaled up. */
export function rolloutRecreate(s: DeploymentSync, rsList: KObject[], podsByOwner: Map<string, KObject[]>): void {
  let { newRS, oldRSs } = s.replicaSets(rsList, false);
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) if (s.scaleAndRecord(rs, 0).scaled) scaledDown = true;
  if (scaledDown) return s.syncRolloutStatus([...oldRSs, newRS], newRS);
  if (oldPodsRunning(newRS, oldRSs, podsByOwner)) return s.syncRolloutStatus([...oldRSs, newRS], newRS);
  if (!newRS) ({ newRS, oldRSs } = s.replicaSets(rsList, true));
  const scaled = s.scaleAndRecord(newRS!, specReplicas(s.d));
  if (deploymentComplete(s.d, s.d.status)) cleanupDeployment(s, oldRSs);
  s.syncRolloutStatus([...oldRSs, scaled.rs], scaled.rs);
}

function oldPodsRunning(newRS: KObject | undefined, oldRSs: KObject[], podsByOwner: Map<string, KObject[]>): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  for (const [uid, pods] of podsByOwner) {
    if (newRS && newRS.metadata.uid === uid) continue;
    if (pods.some((p) => !isPodTerminal(p))) return true;
  }
  return false;
}

/** sync: a paused Deployment, or one whose size changed: scale without rolling, then report. */
export function syncScaling(s: DeploymentSync, rsList: KObject[]): void {
  const { newRS, oldRSs } = s.replicaSets(rsList, false);
  const scaled = scaleProportionally(s, newRS, oldRSs);
  const fresh = (rs: KObject | undefined): KObject | undefined => (rs ? scaled.get(rs.metadata.uid!) ?? rs : rs);
  const olds = oldRSs.map((rs) => fresh(rs)!);
  if (s.d.spec?.paused) cleanupDeployment(s, olds);
  s.syncStatus([...olds, fresh(newRS)], fresh(newRS));
}

/** isScalingEvent: some active ReplicaSet was sized for another replica count. */
export function isScalingEvent(s: DeploymentSync, rsList: KObject[]): boolean {
  const { newRS, oldRSs } = s.replicaSets(rsList, false);
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
    return desired !== undefined && Number(desired) !== specReplicas(s.d);
  });
}

/** scale: the only active ReplicaSet takes the new size; otherwise replicas are spread proportionally. */
function scaleProportionally(s: DeploymentSync, newRS: KObject | undefined, oldRSs: KObject[]): Map<string, KObject> {
  const out = new Map<string, KObject>();
  const keep = (r: { rs: KObject }): void => { out.set(r.rs.metadata.uid!, r.rs); };
  const want = specReplicas(s.d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) {
    if (specReplicas(single) !== want) keep(s.scaleAndRecord(single, want));
    return out;
  }
  if (isSaturated(s.d, newRS)) {
    for (const rs of activeReplicaSets(oldRSs)) keep(s.scaleAndRecord(rs, 0));
    return out;
  }
  if (!isRollingUpdate(s.d)) return out;
  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(s.d) : 0;
  const toAdd = allowed - sumSpec(active);
  // Bigger first; on ties the newer when growing, the older when shrinking (ReplicaSetsBySizeNewer/Older).
  active.sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? -byCreation(a, b) : byCreation(a, b)));
  const sizes = new Map<KObject, number>();
  let added = 0;
  for (const rs of active) {
    const share = toAdd !== 0 ? proportion(rs, s.d, toAdd, added) : 0;
    sizes.set(rs, specReplicas(rs) + share);
    added += share;
  }
  active.forEach((rs, i) => {
    let size = sizes.get(rs)!;
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    keep(s.scale(rs, size, toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : ''));
  });
  return out;
}

/** cleanupDeployment: delete the oldest zero-sized ReplicaSets beyond revisionHistoryLimit. */
export function cleanupDeployment(s: DeploymentSync, oldRSs: KObject[]): void {
  const limit = s.d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - Number(limit);
  if (diff <= 0) return;
  alive.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (const rs of alive.slice(0, diff)) {
    const settled = Number(rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0
      && (rs.metadata.generation ?? 1) <= Number(rs.status?.observedGeneration ?? 0);
    if (settled) s.deleteReplicaSet(rs);
  }
}

/** checkPausedConditions: pausing and resuming show in Progressing, so a paused Deployment never times out. */
export function checkPausedConditions(s: DeploymentSync): void {
  const d = s.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === TIMED_OUT) return;
  const pausedShown = cond?.reason === PAUSED;
  if (d.spec?.paused && !pausedShown) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', PAUSED, 'Deployment is paused', s.now()));
  } else if (!d.spec?.paused && pausedShown) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed', s.now()));
  } else {
    return;
  }
  s.persist();
}
