import { expect } from 'chai';
import { NodeTaintController, UNSCHEDULABLE_TAINT } from '../../../../src/localcluster/controllers/node-taint-controller.js';
import { addNode, ManualClock, newStore, settle } from './harness.js';

describe('node taint controller (cordon)', () => {
  it('adds the unschedulable NoSchedule taint to a cordoned node and removes only it on uncordon', async () => {
    const store = newStore(new ManualClock());
    addNode(store, 'node-1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    const controller = new NodeTaintController(store);
    controller.start();
    try {
      store.mutate('nodes', undefined, 'node-1', (d) => { d.spec.unschedulable = true; });
      await settle();
      expect(store.get('nodes', undefined, 'node-1').spec.taints).to.deep.equal([
        { key: 'dedicated', value: 'db', effect: 'NoSchedule' }, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' },
      ]);
      store.mutate('nodes', undefined, 'node-1', (d) => { delete d.spec.unschedulable; });
      await settle();
      expect(store.get('nodes', undefined, 'node-1').spec.taints).to.deep.equal([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    } finally {
      controller.stop();
    }
  });
});
