import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { Scheduler } from '../../../../src/localcluster/controllers/scheduler.js';
import { podRequest } from '../../../../src/localcluster/controllers/scheduler-fit.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { addNode, events, ManualClock, newStore, settle } from './harness.js';

const container = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Record<string, unknown> =>
  ({ name, image: 'demo/app:1', ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}) });

describe('NodeResourcesFit', () => {
  describe('podRequest', () => {
    it('sums the containers, reads limits where requests are absent, and adds the overhead', () => {
      const pod = { metadata: {}, spec: { containers: [container('a', { cpu: '100m' }), container('b', undefined, { cpu: '250m', memory: '64Mi' })], overhead: { cpu: '50m' } } } as KObject;
      expect(podRequest(pod, 'cpu')).to.be.closeTo(0.4, 1e-9);
      expect(podRequest(pod, 'memory')).to.equal(64 * 2 ** 20);
    });

    it('takes the largest init container, plus the sidecars started before it, when that is more', () => {
      const pod = {
        metadata: {},
        spec: {
          initContainers: [{ ...container('sidecar', { cpu: '200m' }), restartPolicy: 'Always' }, container('migrate', { cpu: '1' })],
          containers: [container('app', { cpu: '300m' })],
        },
      } as KObject;
      expect(podRequest(pod, 'cpu')).to.be.closeTo(1.2, 1e-9);
    });
  });

  describe('in the scheduler', () => {
    let clock: ManualClock;
    let store: Store;
    let scheduler: Scheduler;

    beforeEach(() => {
      clock = new ManualClock();
      store = newStore(clock);
      scheduler = new Scheduler(store, { timers: clock });
      scheduler.start();
    });

    afterEach(() => scheduler.stop());

    function node(name: string, allocatable: Record<string, string>): void {
      addNode(store, name);
      store.mutate('nodes', undefined, name, (d) => void (d.status.allocatable = allocatable), { subresource: 'status' });
    }

    function pod(name: string, cpu?: string): void {
      store.create('pods', 'demo', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [container('app', cpu ? { cpu } : undefined)] } });
    }

    const nodeOf = (name: string): string | undefined => store.peek('pods', 'demo', name)?.spec.nodeName;
    const scheduled = (name: string): any => store.peek('pods', 'demo', name)?.status?.conditions?.find((c: any) => c.type === 'PodScheduled');

    it('leaves a pod Pending when its request fits no node, saying so, and binds it once room is freed', async () => {
      node('node-1', { cpu: '1', memory: '1Gi', pods: '110' });
      node('node-2', { cpu: '1', memory: '1Gi', pods: '110' });
      pod('a', '600m');
      pod('b', '600m');
      await settle();
      pod('c', '600m');
      await settle();
      expect([nodeOf('a'), nodeOf('b'), nodeOf('c')]).to.deep.equal(['node-1', 'node-2', undefined]);
      const message = '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.';
      expect(scheduled('c')).to.include({ status: 'False', reason: 'Unschedulable', message });
      expect(events(store, 'FailedScheduling').map((e) => e.message)).to.deep.equal([message]);
      store.delete('pods', 'demo', 'a', { gracePeriodSeconds: 0 });
      await settle();
      expect(nodeOf('c')).to.equal('node-1');
    });

    it('counts every pod against the pods allocatable, requests or not', async () => {
      node('node-1', { cpu: '1', memory: '1Gi', pods: '2' });
      pod('a');
      pod('b');
      await settle();
      pod('c');
      await settle();
      expect([nodeOf('a'), nodeOf('b'), nodeOf('c')]).to.deep.equal(['node-1', 'node-1', undefined]);
      expect(scheduled('c').message).to.match(/^0\/1 nodes are available: 1 Too many pods\./);
    });

    it('counts a terminating pod until it is gone, as its resources are still held', async () => {
      node('node-1', { cpu: '1', memory: '1Gi', pods: '110' });
      pod('a', '700m');
      await settle();
      store.delete('pods', 'demo', 'a', { gracePeriodSeconds: 30 });
      pod('b', '700m');
      await settle();
      expect(nodeOf('b')).to.equal(undefined);
      store.delete('pods', 'demo', 'a', { gracePeriodSeconds: 0 });
      await settle();
      expect(nodeOf('b')).to.equal('node-1');
    });

    it('ignores resources on nodes that publish no allocatable', async () => {
      addNode(store, 'node-1');
      pod('a', '64');
      await settle();
      expect(nodeOf('a')).to.equal('node-1');
    });
  });
});
