import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import type { EventRecorder } from './event-recorder.js';

/**
 * Creating and deleting the pods a controller owns, with the events kube-controller-manager's
 * PodControl records (SuccessfulCreate / FailedCreate, SuccessfulDelete / FailedDelete). A pod already
 * gone is not an error: someone else deleted it first.
 */
export class PodControl {
  constructor(private readonly store: Store, private readonly events: EventRecorder) {}

  create(owner: KObject, pod: KObject): KObject {
    try {
      const created = this.store.create('pods', owner.metadata.namespace, pod);
      this.events.record(owner, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata.name}` });
      return created;
    } catch (err) {
      this.events.record(owner, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${(err as Error).message}` });
      throw err;
    }
  }

  delete(owner: KObject, pod: KObject): void {
    try {
      this.store.delete('pods', pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      this.events.record(owner, { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${(err as Error).message}` });
      throw err;
    }
    this.events.record(owner, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}` });
  }
}
