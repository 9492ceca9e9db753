import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import { byCreation } from './objects.js';

/** The pieces of k8s.io/kubernetes/pkg/controller/deployment/util the controller needs, as pure functions. */

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);
const MAX_REV_HISTORY_CHARS = 2000;
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export const specReplicas = (obj: KObject | undefined): number => Number(obj?.spec?.replicas ?? 1);
const statusOf = (rs: KObject | undefined, field: string): number => Number(rs?.status?.[field] ?? 0);

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export const sumSpec = (list: Array<KObject | undefined>): number => list.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
/** Sum of a status count (GetActual/Ready/AvailableReplicaCountForReplicaSets). */
export const sumStatus = (list: Array<KObject | undefined>, field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number =>
  list.reduce((n, rs) => n + statusOf(rs, field), 0);

/** FilterActiveReplicaSets: the ReplicaSets that want pods. */
export const activeReplicaSets = (list: Array<KObject | undefined>): KObject[] => list.filter((rs): rs is KObject => rs !== undefined && specReplicas(rs) > 0);

/** JSON with sorted keys: the same template always gives the same text, whatever order its keys came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** controller.ComputeHash: FNV-32a of the template (and collision count), safe-encoded like rand.SafeEncodeString. */
export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = 0x811c9dc5;
  const feed = (byte: number): void => { hash = Math.imul(hash ^ byte, 0x01000193) >>> 0; };
  for (const byte of Buffer.from(canonical(template), 'utf8')) feed(byte);
  if (collisionCount !== undefined && collisionCount !== null) {
    for (let i = 0; i < 4; i++) feed((collisionCount >>> (8 * i)) & 0xff);
  }
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

function withoutHash(template: any): any {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

/** EqualIgnoreHash: the two pod templates are the same but for the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(canonical(withoutHash(a))), JSON.parse(canonical(withoutHash(b))));
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: KObject, rsList: KObject[]): KObject | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function revisionOf(obj: KObject | undefined): number {
  const n = Number.parseInt(obj?.metadata.annotations?.[REVISION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

export const maxRevision = (list: KObject[]): number => list.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const text = value;
  if (!text.endsWith('%')) {
    const n = Number.parseInt(text, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  const exact = (Number.parseInt(text.slice(0, -1), 10) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export const isRollingUpdate = (d: KObject): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: surge rounds up, unavailable down; both zero means one may be unavailable. */
export function fenceposts(d: KObject): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const desired = specReplicas(d);
  const surge = scaledValue(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxUnavailable(d: KObject): number {
  if (!isRollingUpdate(d) || specReplicas(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, specReplicas(d));
}

export const maxSurge = (d: KObject): number => (isRollingUpdate(d) ? fenceposts(d).surge : 0);

/** NewRSNewReplicas: how far the new ReplicaSet may grow now. */
export function newRSNewReplicas(d: KObject, allRSs: Array<KObject | undefined>, newRS: KObject): number {
  if (!isRollingUpdate(d)) return specReplicas(d);
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', specReplicas(d), true);
  const maxTotal = specReplicas(d) + surge;
  const current = sumSpec(allRSs);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, specReplicas(d) - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}

/** SetReplicasAnnotations on a draft; true when it changed them. */
export function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  if (a[DESIRED_REPLICAS] === String(desired) && a[MAX_REPLICAS] === String(max)) return false;
  a[DESIRED_REPLICAS] = String(desired);
  a[MAX_REPLICAS] = String(max);
  return true;
}

export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

function copyDeploymentAnnotations(d: KObject, rs: KObject): boolean {
  let changed = false;
  const target = (rs.metadata.annotations ??= {});
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k) || target[k] === v) continue;
    target[k] = v;
    changed = true;
  }
  return changed;
}

/** The revision history an old revision joins when its ReplicaSet comes back (rollback), length-capped. */
function appendRevisionHistory(history: string | undefined, oldRevision: string): string | undefined {
  if (!history) return oldRevision;
  const revisions = history.split(',');
  let total = history.length + oldRevision.length + 1;
  let start = 0;
  while (total > MAX_REV_HISTORY_CHARS && start < revisions.length) total -= (revisions[start++]?.length ?? 0) + 1;
  return total <= MAX_REV_HISTORY_CHARS ? [...revisions.slice(start), oldRevision].join(',') : history;
}

/** SetNewReplicaSetAnnotations on a draft of the new ReplicaSet; true when it changed them. */
export function setNewReplicaSetAnnotations(d: KObject, rs: KObject, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = rs.metadata.annotations!;
  const oldRevision = a[REVISION];
  const oldRevisionNum = oldRevision === undefined ? 0 : Number.parseInt(oldRevision, 10);
  if (Number.isNaN(oldRevisionNum)) return changed;
  if (oldRevisionNum < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) {
      const history = appendRevisionHistory(a[REVISION_HISTORY], oldRevision);
      if (history !== undefined) a[REVISION_HISTORY] = history;
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active. */
export function findActiveOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort(byCreation).reverse();
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** IsSaturated: the new ReplicaSet runs every desired replica, all available. */
export function isSaturated(d: KObject, rs: KObject | undefined): boolean {
  if (!rs) return false;
  const desired = Number.parseInt(rs.metadata.annotations?.[DESIRED_REPLICAS] ?? '', 10);
  return specReplicas(rs) === specReplicas(d) && desired === specReplicas(d) && statusOf(rs, 'availableReplicas') === specReplicas(d);
}

/** GetProportion: this ReplicaSet's share of a proportional scale (positive up, negative down). */
export function proportion(rs: KObject, d: KObject, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: KObject, d: KObject): number {
  if (specReplicas(d) === 0) return -specReplicas(rs);
  const maxNow = specReplicas(d) + maxSurge(d);
  let before = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS] ?? '', 10);
  if (Number.isNaN(before) || before === 0) {
    before = Number(d.status?.replicas ?? 0);
    if (before === 0) return 0;
  }
  // integer.RoundToInt32 rounds half away from zero.
  const size = (specReplicas(rs) * maxNow) / before;
  return Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
}
