import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { embeddedKubeconfig, kubeClients } from '../../../src/kube/index.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { deployment, node, pod, ProbeFixture } from './kube-fixture.js';

describe('Kubernetes probes: deployment-available, pods-spread, nodes-ready (embedded API server)', function () {
  this.timeout(20_000);
  const f = new ProbeFixture();

  before(() => f.start());
  after(() => f.stop());
  afterEach(() => f.clear());

  describe('deployment-available', () => {
    it('holds for a named deployment with every replica ready and updated at the current generation', async () => {
      f.put('apps/deployments', deployment('gateway'));
      const r = await f.run('deployment-available', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: true, detail: 'gateway: 3/3 ready, updated 3, generation 1/1' });
    });

    it('fails when fewer replicas are ready than desired, saying how many are', async () => {
      f.put('apps/deployments', deployment('gateway', { ready: 2 }));
      const r = await f.run('deployment-available', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'gateway: 2/3 ready, updated 3, generation 1/1' });
    });

    it('fails while a rollout has not updated every replica or left surplus pods', async () => {
      f.put('apps/deployments', deployment('gateway', { updated: 1, total: 4 }));
      const r = await f.run('deployment-available', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'gateway: 3/3 ready, updated 1, generation 1/1, 4 pods' });
    });

    it('fails while the controller has not observed the current generation', async () => {
      f.put('apps/deployments', deployment('gateway', { observed: 0 }));
      const r = await f.run('deployment-available', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'gateway: 3/3 ready, updated 3, generation 0/1' });
    });

    it('fails with "not found" for a deployment that does not exist', async () => {
      const r = await f.run('deployment-available', { namespace: 'demo', deployment: 'nope' });
      expect(r).to.include({ ok: false, detail: 'deployment demo/nope not found' });
    });

    it('checks every deployment of the namespace, listing the unavailable ones first', async () => {
      f.put('apps/deployments', deployment('a-ok', { replicas: 1 }));
      f.put('apps/deployments', deployment('b-slow', { ready: 0 }));
      f.put('apps/deployments', deployment('other', { namespace: 'default', ready: 0 }));
      const r = await f.run('deployment-available', { namespace: 'demo' });
      expect(r).to.include({ ok: false, detail: 'b-slow: 0/3 ready, updated 3, generation 1/1; a-ok: 1/1 ready, updated 1, generation 1/1' });
    });

    it('checks only the deployments whose labels match the selector, in the default namespace when none is given', async () => {
      f.put('apps/deployments', deployment('web', { namespace: 'default', labels: { tier: 'front' } }));
      f.put('apps/deployments', deployment('db', { namespace: 'default', labels: { tier: 'back' }, ready: 0 }));
      expect(await f.run('deployment-available', { selector: 'tier=front' })).to.include({ ok: true, detail: 'web: 3/3 ready, updated 3, generation 1/1' });
      expect(await f.run('deployment-available', { selector: 'tier in (front,back)' })).to.include({ ok: false });
    });

    it('fails when no deployment matches the selector', async () => {
      const r = await f.run('deployment-available', { namespace: 'demo', selector: 'app=ghost' });
      expect(r).to.include({ ok: false, detail: 'no deployment in namespace demo matches app=ghost' });
    });

    it('holds with waitFor once the deployment becomes available during the wait', async () => {
      f.put('apps/deployments', deployment('gateway', { ready: 1 }));
      const clock = new ManualClock();
      const running = f.run('deployment-available', { namespace: 'demo', deployment: 'gateway' }, { waitForMs: 5_000, clock });
      // each failed check sleeps a second on the clock before the next
      await until('the first check failed', () => clock.pending === 1);
      await clock.advance(1_000);
      await until('the second check failed', () => clock.pending === 1);
      f.store.mutate('apps/deployments', 'demo', 'gateway', (d) => {
        Object.assign(d.status, { readyReplicas: 3, availableReplicas: 3 });
      }, { subresource: 'status' });
      await clock.advance(1_000);
      const r = await running;
      expect(r.ok).to.equal(true);
      expect(r.durationMs, 'two seconds on the clock').to.equal(2_000);
      expect(r.detail).to.match(/^gateway: 3\/3 ready, updated 3, generation 1\/1 \(after 3 checks\)$/);
    });
  });

  describe('pods-spread', () => {
    const labels = { app: 'gateway' };

    it('holds when the ready pods of the selector run on at least minNodes nodes', async () => {
      for (const [name, n] of [['g1', 'node-1'], ['g2', 'node-2'], ['g3', 'node-2']] as const) f.put('pods', pod(name, n, labels));
      const r = await f.run('pods-spread', { namespace: 'demo', selector: 'app=gateway', minNodes: 2 });
      expect(r).to.include({ ok: true, detail: 'demo app=gateway: 3 ready pods on 2 nodes (node-1: 1, node-2: 2)' });
    });

    it('fails when the pods share fewer nodes, not counting pods that are not ready', async () => {
      f.put('pods', pod('g1', 'node-1', labels));
      f.put('pods', pod('g2', 'node-2', labels, false));
      f.put('pods', pod('x1', 'node-3', { app: 'other' }));
      const r = await f.run('pods-spread', { namespace: 'demo', selector: 'app=gateway', minNodes: 2 });
      expect(r).to.include({ ok: false, detail: 'demo app=gateway: 1 ready pods on 1 node (node-1: 1), 1 not ready, expected at least 2' });
    });
  });

  describe('nodes-ready', () => {
    it('holds with all nodes Ready when neither count nor all is given', async () => {
      for (const n of ['node-1', 'node-2']) f.put('nodes', node(n));
      expect(await f.run('nodes-ready', {})).to.include({ ok: true, detail: '2/2 nodes Ready' });
    });

    it('fails "all" with the nodes that are not Ready and their status', async () => {
      f.put('nodes', node('node-1'));
      f.put('nodes', node('node-2', 'Unknown'));
      f.put('nodes', node('node-3', 'False'));
      const r = await f.run('nodes-ready', { all: true });
      expect(r).to.include({ ok: false, detail: '1/3 nodes Ready (not ready: node-2 Unknown, node-3 False); expected all' });
    });

    it('holds "count" when at least that many nodes are Ready and fails below it', async () => {
      f.put('nodes', node('node-1'));
      f.put('nodes', node('node-2'));
      f.put('nodes', node('node-3', 'Unknown'));
      expect(await f.run('nodes-ready', { count: 2 })).to.include({ ok: true, detail: '2/3 nodes Ready (not ready: node-3 Unknown)' });
      expect(await f.run('nodes-ready', { count: 3 })).to.include({ ok: false, detail: '2/3 nodes Ready (not ready: node-3 Unknown); expected at least 3' });
    });
  });

  describe('without a cluster, or one that does not answer', () => {
    it('fails with a detail saying the plan has no cluster', async () => {
      const r = await f.run('nodes-ready', {}, { kube: null });
      expect(r).to.include({ ok: false, detail: 'nodes-ready needs a cluster: the plan has no `cluster` (local or kubeconfig)' });
    });

    it('fails with the connection error when the API server does not answer', async () => {
      const tmp = await tempDir();
      try {
        const kubeconfig = path.join(tmp.dir, 'kubeconfig');
        await writeFile(kubeconfig, embeddedKubeconfig('http://127.0.0.1:1'));
        const r = await f.run('deployment-available', { name: 'gateway' }, { kube: kubeClients({ kubeconfig }) });
        expect(r.ok).to.equal(false);
        expect(r.detail).to.match(/^deployment-available on http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
      } finally {
        await tmp.remove();
      }
    });

    it('fails at the probe\'s timeout when the API server accepts the connection but never answers', async () => {
      const sockets: net.Socket[] = [];
      const silent = net.createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const tmp = await tempDir();
      try {
        const kubeconfig = path.join(tmp.dir, 'kubeconfig');
        await writeFile(kubeconfig, embeddedKubeconfig(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`));
        const r = await f.run('nodes-ready', {}, { kube: kubeClients({ kubeconfig }), timeoutMs: 300 });
        expect(r).to.include({ ok: false });
        expect(r.detail).to.match(/^nodes-ready on http:\/\/127\.0\.0\.1:\d+: timed out$/);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
        await tmp.remove();
      }
    });
  });
});
