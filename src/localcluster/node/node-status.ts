import type { EventRecorder } from '../controllers/index.js';
import { rfc3339, type Store } from '../store/index.js';
import { nodeObject, type NodeShape } from './node-object.js';

/**
 * What a kubelet posts about its own Node: the registration at start, the heartbeat, and the fresh
 * status with a new boot id after a reboot. One per node agent.
 */
export class NodeStatus {
  constructor(private readonly store: Store, private readonly shape: NodeShape, private readonly recorder: EventRecorder) {}

  /** Registers the Node if the API has none (a restarted cluster keeps its own) and says the kubelet started. */
  register(): void {
    const { store, shape } = this;
    if (!store.peek('nodes', undefined, shape.name)) store.create('nodes', undefined, nodeObject(shape, store.now()), { keepStatus: true });
    const node = store.peek('nodes', undefined, shape.name)!;
    this.recorder.record(node, { type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' });
    this.recorder.record(node, { type: 'Normal', reason: 'NodeReady', message: `Node ${shape.name} status is now: NodeReady` });
  }

  /** Posts the kubelet's own conditions (back to them if the controller set Unknown) and the heartbeat. */
  beat(): void {
    const now = this.store.now();
    const stamp = rfc3339(now);
    const own: any[] = nodeObject(this.shape, now).status.conditions;
    this.store.mutate('nodes', undefined, this.shape.name, (draft) => {
      draft.status.conditions = own.map((c) => {
        const old = (draft.status?.conditions as any[] | undefined)?.find((o) => o.type === c.type);
        return old?.status === c.status ? { ...old, lastHeartbeatTime: stamp } : c;
      });
    }, { subresource: 'status' });
  }

  /** A rebooted kubelet's first status: fresh conditions, its new boot id, and the events that say so. */
  rebooted(): void {
    const { store, shape } = this;
    const fresh = nodeObject(shape, store.now()).status;
    const node = store.mutate('nodes', undefined, shape.name, (draft) => {
      draft.status.conditions = fresh.conditions;
      draft.status.nodeInfo = { ...draft.status.nodeInfo, bootID: fresh.nodeInfo.bootID };
    }, { subresource: 'status' });
    if (!node) return;
    this.recorder.record(node, { type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' });
    this.recorder.record(node, { type: 'Warning', reason: 'Rebooted', message: `Node ${shape.name} has been rebooted, boot id: ${fresh.nodeInfo.bootID}` });
    this.recorder.record(node, { type: 'Normal', reason: 'NodeReady', message: `Node ${shape.name} status is now: NodeReady` });
  }
}
