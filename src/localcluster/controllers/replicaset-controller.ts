import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { PodControl } from './pod-control.js';
import { claimObjects } from './claim.js';
import { controllerRef, isPodActive, keyOf, selectorMatches, splitKey } from './objects.js';
import { countReplicas, nextAvailabilityInMs, podFromTemplate, podsToDelete } from './replicaset-pods.js';
import { QueueController } from './queue-controller.js';

const RS = 'apps/replicasets';
// kube-controller-manager's burstReplicas: the most pods one sync creates or deletes.
const BURST_REPLICAS = 500;

/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods that match the selector and are controlled
 * by the ReplicaSet (adopting matching orphans, releasing pods that stopped matching), and reports
 * replicas / fullyLabeledReplicas / readyReplicas / availableReplicas / observedGeneration.
 */
export class ReplicaSetController extends QueueController {
  private readonly events: EventRecorder;
  private readonly pods: PodControl;

  constructor(store: Store, opts: ControllerOptions = {}) {
    super(store, 'replicaset', opts);
    this.events = new EventRecorder(store, { component: 'replicaset-controller' });
    this.pods = new PodControl(store, this.events);
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch(RS, undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      this.store.watch('pods', undefined, {}, (e) => this.podChanged(e.object)),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot(RS).map(keyOf);
  }

  /** Reconciles one ReplicaSet; public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const rs = this.store.peek(RS, namespace, name);
    if (!rs) return;
    const pods = this.claimPods(rs);
    const changed = rs.metadata.deletionTimestamp ? false : this.manageReplicas(rs, pods);
    const current = changed ? this.claimPods(rs) : pods;
    this.updateStatus(rs, current);
  }

  private podChanged(pod: KObject): void {
    const ns = pod.metadata.namespace;
    const ref = controllerRef(pod);
    if (ref) {
      if (ref.kind === 'ReplicaSet') this.queue.add(`${ns}/${ref.name}`);
      return;
    }
    // An orphan may be adopted by any ReplicaSet whose selector matches it.
    for (const rs of this.store.snapshot(RS, ns, (r) => selectorMatches(r.spec?.selector, pod.metadata.labels))) {
      this.queue.add(keyOf(rs));
    }
  }

  /** The active pods the ReplicaSet controls, after adopting matching orphans and releasing the others. */
  private claimPods(rs: KObject): KObject[] {
    return claimObjects(this.store, 'pods', rs, this.store.snapshot('pods', rs.metadata.namespace, isPodActive));
  }

  /** Creates or deletes pods towards spec.replicas; true when it changed anything. */
  private manageReplicas(rs: KObject, pods: KObject[]): boolean {
    const diff = pods.length - Number(rs.spec?.replicas ?? 1);
    if (diff < 0) {
      for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) this.pods.create(rs, podFromTemplate(rs));
      return true;
    }
    if (diff === 0) return false;
    for (const pod of podsToDelete(pods, this.relatedPods(rs), Math.min(diff, BURST_REPLICAS))) this.pods.delete(rs, pod);
    return true;
  }



  /** Active pods of every ReplicaSet sharing this one's owner (getIndirectlyRelatedPods). */
  private relatedPods(rs: KObject): KObject[] {
    const owner = controllerRef(rs)?.uid;
    const siblings = new Set(owner
      ? this.store.snapshot(RS, rs.metadata.namespace, (r) => controllerRef(r)?.uid === owner).map((r) => r.metadata.uid)
      : [rs.metadata.uid]);
    return this.store.snapshot('pods', rs.metadata.namespace, (p) => isPodActive(p) && siblings.has(controllerRef(p)?.uid));
  }

  private updateStatus(rs: KObject, pods: KObject[]): void {
    const nowMs = this.store.now();
    const counts = countReplicas(rs, pods, nowMs);
    const status = { ...(rs.status ?? {}), ...counts, observedGeneration: rs.metadata.generation ?? 1 };
    this.store.mutate(RS, rs.metadata.namespace, rs.metadata.name!, (draft) => {
      if (isDeepStrictEqual(draft.status, status)) return false;
      draft.status = status;
    }, { subresource: 'status' });
    // Availability (minReadySeconds) changes with time alone: come back when the next pod crosses it.
    const inMs = nextAvailabilityInMs(rs, pods, nowMs);
    if (inMs !== undefined) this.queue.addAfter(keyOf(rs), inMs);
  }
}
