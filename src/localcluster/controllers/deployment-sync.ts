import { isDeepStrictEqual } from 'node:util';
import { ApiError, type KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import type { EventRecorder } from './event-recorder.js';
import {
  computeHash, equalIgnoreHash, findNewReplicaSet, HASH_LABEL, maxRevision, maxSurge, newRSNewReplicas, replicasAnnotationsNeedUpdate,
  REVISION, setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicas,
} from './deployment-util.js';
import { calculateStatus, getCondition, hasProgressDeadline, newCondition, rolloutStatus, setCondition, stuckRequeueMs } from './deployment-status.js';
import { controllerRef, keyOf, newControllerRef } from './objects.js';

export const DEPLOYMENTS = 'apps/deployments';
export const REPLICASETS = 'apps/replicasets';

/** What one Deployment sync needs from its controller. */
export interface DeploymentContext {
  store: Store;
  events: EventRecorder;
  /** Syncs the Deployment again after `ms` (progress deadline checks). */
  requeueAfter(key: string, ms: number): void;
}

/**
 * One sync of one Deployment: a working copy `d` (status and revision annotation updated as the
 * controller goes, as the Go code updates its copy) and the writes the rollout strategies call.
 */
export class DeploymentSync {
  readonly d: KObject;

  constructor(private readonly ctx: DeploymentContext, stored: KObject) {
    this.d = structuredClone(stored);
    this.d.status ??= {};
  }

  now(): number {
    return this.ctx.store.now();
  }

  /** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked) and all the old ones. */
  replicaSets(rsList: KObject[], createIfMissing: boolean): { newRS: KObject | undefined; oldRSs: KObject[] } {
    // Earlier steps of this sync may have written some of them: work on what the store holds now.
    const latest = rsList.map((rs) => this.ctx.store.peek(REPLICASETS, rs.metadata.namespace, rs.metadata.name!))
      .filter((rs): rs is KObject => rs !== undefined);
    const current = findNewReplicaSet(this.d, latest);
    const oldRSs = latest.filter((rs) => rs !== current);
    const newRevision = maxRevision(oldRSs) + 1;
    if (current) return { newRS: this.syncExistingNewRS(current, newRevision), oldRSs };
    if (!createIfMissing) return { newRS: undefined, oldRSs };
    return { newRS: this.createNewRS(oldRSs, newRevision), oldRSs };
  }

  private syncExistingNewRS(rs: KObject, newRevision: number): KObject {
    const draft = structuredClone(rs);
    const annotationsChanged = setNewReplicaSetAnnotations(this.d, draft, newRevision, true);
    const minReady = Number(this.d.spec?.minReadySeconds ?? 0);
    if (annotationsChanged || Number(rs.spec?.minReadySeconds ?? 0) !== minReady) {
      return this.ctx.store.mutate(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, (next) => {
        next.metadata.annotations = draft.metadata.annotations!;
        next.spec.minReadySeconds = minReady;
      }) ?? rs;
    }
    let needsUpdate = this.setRevision(rs.metadata.annotations?.[REVISION]);
    if (hasProgressDeadline(this.d) && !getCondition(this.d.status, 'Progressing')) {
      setCondition(this.d.status, newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) this.persist();
    return rs;
  }

  private newReplicaSetObject(oldRSs: KObject[], newRevision: number): KObject {
    const d = this.d;
    const hash = computeHash(d.spec.template, d.status.collisionCount);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rs: KObject = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: d.metadata.namespace, labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(d)] },
      spec: { replicas: 0, minReadySeconds: Number(d.spec.minReadySeconds ?? 0), selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    return rs;
  }

  private createNewRS(oldRSs: KObject[], newRevision: number): KObject {
    const d = this.d;
    const rs = this.newReplicaSetObject(oldRSs, newRevision);
    let created: KObject;
    let alreadyExists = false;
    try {
      created = this.ctx.store.create(REPLICASETS, d.metadata.namespace, rs);
    } catch (err) {
      const existing = this.adoptExisting(err, rs);
      if (!existing) throw err;
      created = existing;
      alreadyExists = true;
    }
    const replicas = specReplicas(created);
    if (!alreadyExists && replicas > 0) {
      this.ctx.events.record(d, { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}` });
    }
    let needsUpdate = this.setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(d.status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) this.persist();
    return created;
  }

  /** A create that failed: our own ReplicaSet (fine), a hash collision (bump collisionCount), or a failure to report. */
  private adoptExisting(err: unknown, rs: KObject): KObject | undefined {
    const d = this.d;
    if (err instanceof ApiError && err.code === 409) {
      const existing = this.ctx.store.peek(REPLICASETS, d.metadata.namespace, rs.metadata.name!);
      if (existing && controllerRef(existing)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, existing.spec?.template)) return existing;
      d.status.collisionCount = Number(d.status.collisionCount ?? 0) + 1;
      this.persist();
      return undefined;
    }
    const msg = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error).message}`;
    if (hasProgressDeadline(d)) {
      setCondition(d.status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg, this.now()));
      this.persist();
    }
    this.ctx.events.record(d, { type: 'Warning', reason: 'ReplicaSetCreateError', message: msg });
    return undefined;
  }

  /** SetDeploymentRevision on the working copy; persisted with the status. */
  private setRevision(revision: string | undefined): boolean {
    if (revision === undefined || this.d.metadata.annotations?.[REVISION] === revision) return false;
    this.d.metadata.annotations = { ...(this.d.metadata.annotations ?? {}), [REVISION]: revision };
    return true;
  }

  /** scaleReplicaSetAndRecordEvent. */
  scaleAndRecord(rs: KObject, newScale: number): { scaled: boolean; rs: KObject } {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scale(rs, newScale, specReplicas(rs) < newScale ? 'up' : 'down');
  }

  /** scaleReplicaSet: sets the size and the desired/max-replicas annotations; an event when the size changed. */
  scale(rs: KObject, newScale: number, operation: string): { scaled: boolean; rs: KObject } {
    const desired = specReplicas(this.d);
    const max = desired + maxSurge(this.d);
    const sizeChanges = specReplicas(rs) !== newScale;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const updated = this.ctx.store.mutate(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, (draft) => {
      draft.spec.replicas = newScale;
      setReplicasAnnotations(draft, desired, max);
    });
    if (!updated) return { scaled: false, rs };
    if (sizeChanges) {
      this.ctx.events.record(this.d, {
        type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${operation} replica set ${rs.metadata.name} from ${specReplicas(rs)} to ${newScale}`,
      });
    }
    return { scaled: sizeChanges, rs: updated };
  }

  deleteReplicaSet(rs: KObject): void {
    try {
      this.ctx.store.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  /** syncDeploymentStatus: counts and Available only. */
  syncStatus(allRSs: Array<KObject | undefined>, newRS: KObject | undefined): void {
    const next = calculateStatus(allRSs, newRS, this.d, this.now());
    if (isDeepStrictEqual(this.d.status, next)) return;
    this.d.status = next;
    this.persist();
  }

  /** syncRolloutStatus: counts and conditions; requeues a rollout that could pass its deadline silently. */
  syncRolloutStatus(allRSs: Array<KObject | undefined>, newRS: KObject | undefined): void {
    const next = rolloutStatus(allRSs, newRS, this.d, this.now());
    if (isDeepStrictEqual(this.d.status, next)) {
      const inMs = stuckRequeueMs(this.d, next, this.now());
      if (inMs !== undefined) this.ctx.requeueAfter(keyOf(this.d), inMs);
      return;
    }
    this.d.status = next;
    this.persist();
  }

  /** Writes the revision annotation (metadata) and the status (status subresource) when they changed. */
  persist(): void {
    const { store } = this.ctx;
    const { namespace, name } = this.d.metadata;
    const revision = this.d.metadata.annotations?.[REVISION];
    store.mutate(DEPLOYMENTS, namespace, name!, (draft) => {
      if (revision === undefined || draft.metadata.annotations?.[REVISION] === revision) return false;
      draft.metadata.annotations = { ...(draft.metadata.annotations ?? {}), [REVISION]: revision };
    });
    store.mutate(DEPLOYMENTS, namespace, name!, (draft) => {
      if (isDeepStrictEqual(draft.status, this.d.status)) return false;
      draft.status = structuredClone(this.d.status);
    }, { subresource: 'status' });
  }
}
