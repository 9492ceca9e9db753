import { expect } from 'chai';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { deployment, ProbeFixture } from './kube-fixture.js';

function pdb(name: string, selector: Record<string, unknown>, disruptionsAllowed = 1): KObject {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'demo' },
    spec: { minAvailable: 2, selector }, status: { disruptionsAllowed, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, observedGeneration: 1 },
  };
}

function hpa(name: string, target: string, o: { min?: number; max?: number; current?: number } = {}): KObject {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: 'demo' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: o.min ?? 2, maxReplicas: o.max ?? 5 },
    status: { currentReplicas: o.current ?? 3, desiredReplicas: o.current ?? 3 },
  };
}

describe('Kubernetes probes: pdb-exists, hpa (embedded API server)', function () {
  this.timeout(20_000);
  const f = new ProbeFixture();

  before(() => f.start());
  after(() => f.stop());
  afterEach(() => f.clear());

  describe('pdb-exists', () => {
    it('holds when a PDB selects the pods of the named deployment, and says its budget', async () => {
      f.put('apps/deployments', deployment('gateway'));
      f.put('policy/poddisruptionbudgets', pdb('gateway-pdb', { matchLabels: { app: 'gateway' } }));
      const r = await f.run('pdb-exists', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: true, detail: 'gateway: PDB gateway-pdb (minAvailable 2, disruptionsAllowed 1)' });
    });

    it('fails when the only PDB selects other pods', async () => {
      f.put('apps/deployments', deployment('gateway'));
      f.put('policy/poddisruptionbudgets', pdb('store-pdb', { matchLabels: { app: 'store' } }));
      const r = await f.run('pdb-exists', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'gateway: no PodDisruptionBudget selects its pods' });
    });

    it('matches PDBs written with matchExpressions', async () => {
      f.put('apps/deployments', deployment('gateway'));
      f.put('policy/poddisruptionbudgets', pdb('front', { matchExpressions: [{ key: 'app', operator: 'In', values: ['gateway', 'web'] }] }, 0));
      const r = await f.run('pdb-exists', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: true, detail: 'gateway: PDB front (minAvailable 2, disruptionsAllowed 0)' });
    });

    it('checks every deployment of a selector and names those without a PDB first', async () => {
      f.put('apps/deployments', deployment('gateway', { labels: { app: 'gateway', part: 'demo' } }));
      f.put('apps/deployments', deployment('store', { labels: { app: 'store', part: 'demo' } }));
      f.put('policy/poddisruptionbudgets', pdb('gateway-pdb', { matchLabels: { app: 'gateway' } }));
      const r = await f.run('pdb-exists', { namespace: 'demo', selector: 'part=demo' });
      expect(r).to.include({ ok: false, detail: 'store: no PodDisruptionBudget selects its pods; gateway: PDB gateway-pdb (minAvailable 2, disruptionsAllowed 1)' });
    });

    it('fails with "not found" when the named deployment does not exist', async () => {
      const r = await f.run('pdb-exists', { namespace: 'demo', deployment: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'deployment demo/gateway not found' });
    });
  });

  describe('hpa', () => {
    it('holds when an HPA scales the named workload, and says its bounds and replicas', async () => {
      f.put('autoscaling/horizontalpodautoscalers', hpa('gw-autoscaler', 'gateway'));
      const r = await f.run('hpa', { namespace: 'demo', workload: 'gateway' });
      expect(r).to.include({ ok: true, detail: 'HPA gw-autoscaler → Deployment/gateway: min 2, max 5, current 3, desired 3' });
    });

    it('fails when no HPA scales the workload', async () => {
      f.put('autoscaling/horizontalpodautoscalers', hpa('store', 'store'));
      const r = await f.run('hpa', { namespace: 'demo', workload: 'gateway' });
      expect(r).to.include({ ok: false, detail: 'no HPA for demo/gateway' });
    });

    it('checks minReplicas and maxReplicas exactly, and currentReplicas as a count or bounds', async () => {
      f.put('autoscaling/horizontalpodautoscalers', hpa('gateway', 'gateway', { min: 2, max: 5, current: 3 }));
      const run = (params: Record<string, unknown>) => f.run('hpa', { namespace: 'demo', workload: 'gateway', ...params });
      expect(await run({ minReplicas: 2, maxReplicas: 5, currentReplicas: 3 })).to.include({ ok: true });
      expect(await run({ currentReplicas: { min: 2, max: 4 } })).to.include({ ok: true });
      expect((await run({ minReplicas: 3 })).detail).to.match(/; minReplicas 2, expected 3$/);
      expect((await run({ maxReplicas: 10, currentReplicas: 2 })).detail).to.match(/; maxReplicas 5, expected 10; currentReplicas 3, expected 2$/);
      expect(await run({ currentReplicas: { min: 4 } })).to.include({ ok: false, detail: 'HPA gateway → Deployment/gateway: min 2, max 5, current 3, desired 3; currentReplicas 3, expected at least 4' });
      expect((await run({ currentReplicas: { max: 2 } })).detail).to.match(/; currentReplicas 3, expected at most 2$/);
    });

    it('with enabled: false, holds when no HPA scales the workload and fails naming the one that does', async () => {
      expect(await f.run('hpa', { namespace: 'demo', workload: 'gateway', enabled: false })).to.include({ ok: true, detail: 'no HPA for demo/gateway' });
      f.put('autoscaling/horizontalpodautoscalers', hpa('gateway', 'gateway'));
      const r = await f.run('hpa', { namespace: 'demo', workload: 'gateway', enabled: false });
      expect(r).to.include({ ok: false, detail: 'HPA gateway → Deployment/gateway: min 2, max 5, current 3, desired 3; expected none' });
    });
  });
});
