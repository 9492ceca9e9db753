import { expect } from 'chai';
import { TaintEvictionController } from '../../../../src/localcluster/controllers/taint-eviction-controller.js';
import { rfc3339 } from '../../../../src/localcluster/store/object-names.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, events, ManualClock, newStore, podSpec, settle } from './harness.js';

const UNREACHABLE = 'node.kubernetes.io/unreachable';

describe('TaintEvictionController', () => {
  let clock: ManualClock;
  let store: Store;
  let controller: TaintEvictionController;

  const addPod = (name: string, tolerations?: unknown[]): void => {
    store.create('pods', 'demo', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: podSpec({ nodeName: 'node-1', ...(tolerations ? { tolerations } : {}) }) });
  };
  const taint = (on: boolean): void => {
    store.mutate('nodes', undefined, 'node-1', (draft) => {
      if (on) draft.spec.taints = [{ key: UNREACHABLE, effect: 'NoExecute', timeAdded: rfc3339(clock.wall) }];
      else delete draft.spec.taints;
    });
  };
  const marked = (name: string): boolean => Boolean(store.peek('pods', 'demo', name)?.metadata.deletionTimestamp);
  const forSeconds = (s: number): unknown[] => [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s }];

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    addNode(store, 'node-1');
    controller = new TaintEvictionController(store, { timers: clock });
    controller.start();
  });

  afterEach(() => controller.stop());

  it('marks a pod that does not tolerate the NoExecute taint for deletion at once', async () => {
    addPod('web');
    await settle();
    taint(true);
    await settle();
    expect(marked('web')).to.equal(true);
    expect(events(store, 'TaintManagerEviction').map((e) => e.message)).to.deep.equal(['Marking for deletion Pod demo/web']);
    const condition = store.peek('pods', 'demo', 'web')!.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
    expect(condition).to.include({ status: 'True', reason: 'DeletionByTaintManager' });
  });

  it('marks a tolerating pod for deletion when its tolerationSeconds are up, not before', async () => {
    addPod('web', forSeconds(300));
    await settle();
    taint(true);
    await settle();
    await clock.advance(299_999);
    await settle();
    expect(marked('web')).to.equal(false);
    await clock.advance(1);
    await settle();
    expect(marked('web')).to.equal(true);
  });

  it('uses the shortest tolerationSeconds of the tolerations that match', async () => {
    addPod('web', [...forSeconds(300), { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, { key: 'other', operator: 'Exists', tolerationSeconds: 1 }]);
    await settle();
    taint(true);
    await settle();
    await clock.advance(10_000);
    await settle();
    expect(marked('web')).to.equal(true);
  });

  it('cancels the eviction when the taint goes before the time is up, with an event', async () => {
    addPod('web', forSeconds(300));
    await settle();
    taint(true);
    await settle();
    await clock.advance(100_000);
    taint(false);
    await settle();
    await clock.advance(300_000);
    await settle();
    expect(marked('web')).to.equal(false);
    expect(events(store, 'TaintManagerEviction').map((e) => e.message)).to.deep.equal(['Cancelling deletion of Pod demo/web']);
  });

  it('never evicts a pod that tolerates the taint without tolerationSeconds', async () => {
    addPod('web', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
    await settle();
    taint(true);
    await clock.advance(3_600_000);
    await settle();
    expect(marked('web')).to.equal(false);
  });
});
