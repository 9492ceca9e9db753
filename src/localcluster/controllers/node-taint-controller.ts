import { silentLogger, type Logger } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import type { Controller, ControllerOptions } from './controller.js';

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

/**
 * The node lifecycle controller's doNoScheduleTaintingPass for cordoned nodes: a node with
 * spec.unschedulable (kubectl cordon, drain) gets the `node.kubernetes.io/unschedulable:NoSchedule`
 * taint, and loses it when uncordoned. The scheduler keeps pods off such nodes either way; the taint is
 * what tools and pods' tolerations see.
 */
export class NodeTaintController implements Controller {
  private readonly log: Logger;
  private stopWatch: (() => void) | undefined;

  constructor(private readonly store: Store, opts: ControllerOptions = {}) {
    this.log = (opts.log ?? silentLogger).child({ controller: 'node-taint' });
  }

  start(): void {
    if (this.stopWatch) return;
    this.stopWatch = this.store.watch('nodes', undefined, {}, (e) => {
      if (e.type === 'DELETED') return;
      try {
        this.sync(e.object);
      } catch (err) {
        this.log.error({ err, node: e.object.metadata.name }, 'unschedulable taint sync failed');
      }
    });
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  /** Adds or removes the taint to match spec.unschedulable; public so tests can run it synchronously. */
  sync(node: KObject): void {
    const wanted = node.spec?.unschedulable === true;
    const taints: any[] = node.spec?.taints ?? [];
    const isOurs = (t: any): boolean => t.key === UNSCHEDULABLE_TAINT && t.effect === 'NoSchedule';
    if (taints.some(isOurs) === wanted) return;
    this.store.mutate('nodes', undefined, node.metadata.name!, (draft) => {
      const kept = ((draft.spec?.taints ?? []) as any[]).filter((t) => !isOurs(t));
      // Without timeAdded, as the real controller: only NoExecute taints carry it.
      const next = wanted ? [...kept, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }] : kept;
      draft.spec ??= {};
      if (next.length) draft.spec.taints = next;
      else delete draft.spec.taints;
    });
    this.log.info({ node: node.metadata.name, unschedulable: wanted }, wanted ? 'node cordoned: taint added' : 'node uncordoned: taint removed');
  }
}
