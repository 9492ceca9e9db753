import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import { claimObjects } from './claim.js';
import type { ControllerOptions } from './controller.js';
import { checkPausedConditions, isScalingEvent, rolloutRecreate, rolloutRolling, syncScaling } from './deployment-rollout.js';
import { DEPLOYMENTS, DeploymentSync, REPLICASETS, type DeploymentContext } from './deployment-sync.js';
import { isRollingUpdate } from './deployment-util.js';
import { EventRecorder } from './event-recorder.js';
import { controllerRef, keyOf, selectorMatches, splitKey } from './objects.js';
import { QueueController } from './queue-controller.js';

/**
 * The Deployment controller: owns ReplicaSets named `<deployment>-<pod-template-hash>`, rolls from old to
 * new ones (RollingUpdate within maxSurge/maxUnavailable, or Recreate), scales proportionally mid-rollout,
 * honours `paused` and revisionHistoryLimit, and reports the status and conditions `kubectl rollout status`
 * reads. Mirrors pkg/controller/deployment.
 */
export class DeploymentController extends QueueController {
  private readonly ctx: DeploymentContext;

  constructor(store: Store, opts: ControllerOptions = {}) {
    super(store, 'deployment', opts);
    this.ctx = {
      store,
      events: new EventRecorder(store, { component: 'deployment-controller' }),
      requeueAfter: (key, ms) => this.queue.addAfter(key, ms),
    };
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch(DEPLOYMENTS, undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      this.store.watch(REPLICASETS, undefined, {}, (e) => this.replicaSetChanged(e.object)),
      // Recreate waits for the old pods to be gone, which no ReplicaSet change announces.
      this.store.watch('pods', undefined, {}, (e) => { if (e.type === 'DELETED') this.podDeleted(e.object); }),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot(DEPLOYMENTS).map(keyOf);
  }

  /** Reconciles one Deployment (syncDeployment); public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const stored = this.store.peek(DEPLOYMENTS, namespace, name);
    if (!stored) return;
    const s = new DeploymentSync(this.ctx, stored);
    if (isEverything(stored.spec?.selector)) {
      this.ctx.events.record(stored, { type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' });
      return;
    }
    const rsList = claimObjects(this.store, REPLICASETS, s.d, this.store.snapshot(REPLICASETS, namespace));
    if (s.d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = s.replicaSets(rsList, false);
      return s.syncStatus([...oldRSs, newRS], newRS);
    }
    checkPausedConditions(s);
    if (s.d.spec?.paused || isScalingEvent(s, rsList)) return syncScaling(s, rsList);
    if (isRollingUpdate(s.d)) return rolloutRolling(s, rsList);
    rolloutRecreate(s, rsList, this.podsByOwner(s.d, rsList));
  }

  private replicaSetChanged(rs: KObject): void {
    const ref = controllerRef(rs);
    if (ref) {
      if (ref.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace}/${ref.name}`);
      return;
    }
    for (const d of this.store.snapshot(DEPLOYMENTS, rs.metadata.namespace, (x) => selectorMatches(x.spec?.selector, rs.metadata.labels))) {
      this.queue.add(keyOf(d));
    }
  }

  private podDeleted(pod: KObject): void {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.store.peek(REPLICASETS, pod.metadata.namespace, ref.name);
    const owner = rs && controllerRef(rs);
    if (owner?.kind === 'Deployment') this.queue.add(`${pod.metadata.namespace}/${owner.name}`);
  }

  /** getPodMapForDeployment: the Deployment's pods, by the uid of the ReplicaSet controlling them. */
  private podsByOwner(d: KObject, rsList: KObject[]): Map<string, KObject[]> {
    const byUid = new Map<string, KObject[]>(rsList.map((rs) => [rs.metadata.uid!, []]));
    for (const pod of this.store.snapshot('pods', d.metadata.namespace, (p) => selectorMatches(d.spec?.selector, p.metadata.labels))) {
      byUid.get(controllerRef(pod)?.uid ?? '')?.push(pod);
    }
    return byUid;
  }
}

function isEverything(selector: any): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}
