import { ApiException, type V1Deployment, type V1Node, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { expect } from 'chai';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/index.js';
import { ChangedSinceFault, builtinFaults, type FaultContext, type RevertRecord } from '../../../src/faults/index.js';
import { templateHash } from '../../../src/faults/rollout.js';
import { compareSizes } from '../../../src/faults/scale.js';
import type { KubeClients } from '../../../src/kube/index.js';

/** Client-node clients with only the calls a revert makes, answered from `objects` and recorded in `calls`. */
function fakeKube(parts: { core?: object; apps?: object; net?: object }): KubeClients {
  return { kc: { makeApiClient: () => parts.net }, core: parts.core, apps: parts.apps, batch: {}, server: 'http://fake:6443' } as unknown as KubeClients;
}

const notFound = () => new ApiException(404, 'not found', '{"message":"not found"}', {});
const conflict = () => new ApiException(409, 'conflict', '{"message":"precondition failed"}', {});

function context(kube: KubeClients): FaultContext {
  return { runId: 'r1', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube };
}

async function refused(p: Promise<unknown>): Promise<ChangedSinceFault> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChangedSinceFault) return err;
    throw err;
  }
  throw new Error('expected ChangedSinceFault, the revert went through');
}

describe('compare-before-revert: scale', () => {
  const record = (set?: object): RevertRecord => ({ fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'gw', previous: { replicas: 3 }, ...(set ? { set } : {}) });
  function deployment(replicas: number) {
    const patches: unknown[] = [];
    const apps = {
      readNamespacedDeploymentScale: async () => ({ spec: { replicas } }),
      patchNamespacedDeploymentScale: async (req: { body: unknown }) => void patches.push(req.body),
    };
    return { kube: fakeKube({ apps }), patches };
  }

  it('puts the replicas back when they are still what crt set', async () => {
    const { kube, patches } = deployment(1);
    expect(await builtinFaults.scale.revert(record({ replicas: 1 }), context(kube))).to.equal('deployment/gw in demo back to 3 replica(s)');
    expect(patches).to.deep.equal([{ spec: { replicas: 3 } }]);
  });

  it('leaves replicas someone changed since alone, with both states, and overwrites them with force', async () => {
    const { kube, patches } = deployment(2);
    const err = await refused(builtinFaults.scale.revert(record({ replicas: 1 }), context(kube)));
    expect(err.message).to.equal('deployment/demo/gw changed since the fault: crt set 1 replica(s), now 2 replica(s); left as it is');
    expect(patches).to.deep.equal([]);
    await builtinFaults.scale.revert(record({ replicas: 1 }), context(kube), { force: true });
    expect(patches).to.deep.equal([{ spec: { replicas: 3 } }]);
  });

  it('does nothing when the replicas are already back to what they were', async () => {
    const { kube, patches } = deployment(3);
    expect(await builtinFaults.scale.revert(record({ replicas: 1 }), context(kube))).to.equal('deployment/gw in demo already at 3 replica(s): nothing to undo');
    expect(patches).to.deep.equal([]);
  });

  it('reverts a record of an older crt (no `set`) without comparing, as before', async () => {
    const { kube, patches } = deployment(2);
    await builtinFaults.scale.revert(record(), context(kube));
    expect(patches).to.deep.equal([{ spec: { replicas: 3 } }]);
  });

  it('compares only the HPA bounds the step set', () => {
    expect(compareSizes({ minReplicas: 3 }, { minReplicas: 1, maxReplicas: 4 }, { minReplicas: 3, maxReplicas: 6 })).to.equal('as-set');
    expect(compareSizes({ minReplicas: 3 }, { minReplicas: 1, maxReplicas: 4 }, { minReplicas: 1, maxReplicas: 6 })).to.equal('as-before');
    expect(compareSizes({ minReplicas: 3, maxReplicas: 5 }, { minReplicas: 1, maxReplicas: 4 }, { minReplicas: 3, maxReplicas: 4 })).to.equal('changed');
  });
});

describe('compare-before-revert: rollout', () => {
  const template = (image: string): V1PodTemplateSpec => ({ metadata: { labels: { app: 'gw' } }, spec: { containers: [{ name: 'gw', image }] } });
  function deployment(now: V1PodTemplateSpec) {
    const patches: unknown[] = [];
    const d = (): V1Deployment => ({
      metadata: { name: 'gw', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '7' } },
      spec: { replicas: 1, selector: {}, template: now },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    });
    const apps = {
      readNamespacedDeployment: async () => d(),
      patchNamespacedDeployment: async (req: { body: Array<{ value: V1PodTemplateSpec }> }) => {
        patches.push(req.body);
        now = req.body[0]!.value;
        return d();
      },
    };
    return { kube: fakeKube({ apps }), patches };
  }
  const record = (set?: object): RevertRecord => ({ fault: 'rollout', namespace: 'demo', deployment: 'gw', revision: '5', template: template('gw:1.0'), timeoutMs: 5000, ...(set ? { set } : {}) });

  it('hashes a template by its content: the same whatever the key order, and through the journal\'s JSON', () => {
    const a = templateHash({ spec: { containers: [{ name: 'gw', image: 'gw:1.1' }] }, metadata: { labels: { app: 'gw' } } });
    expect(a).to.match(/^[0-9a-f]{64}$/);
    expect(templateHash(JSON.parse(JSON.stringify(template('gw:1.1'))) as V1PodTemplateSpec)).to.equal(a);
    expect(templateHash(template('gw:1.2'))).not.to.equal(a);
  });

  it('rolls back a template still as crt made it', async () => {
    const { kube, patches } = deployment(template('gw:1.1'));
    const detail = await builtinFaults.rollout.revert(record({ templateHash: templateHash(template('gw:1.1')), revision: '6' }), context(kube));
    expect(detail).to.equal('deployment demo/gw rolled back to the template of revision 5');
    expect(patches).to.have.length(1);
  });

  it('leaves a template someone changed since (kubectl set image) alone, with both states', async () => {
    const { kube, patches } = deployment(template('gw:2.0'));
    const err = await refused(builtinFaults.rollout.revert(record({ templateHash: templateHash(template('gw:1.1')), images: ['gw=gw:1.1'], revision: '6' }), context(kube)));
    expect(err.object).to.equal('deployment/demo/gw');
    expect(err.crtSet).to.equal(`template ${templateHash(template('gw:1.1')).slice(0, 12)} (revision 6, gw=gw:1.1)`);
    expect(err.now).to.equal(`template ${templateHash(template('gw:2.0')).slice(0, 12)} (revision 7, gw=gw:2.0)`);
    expect(patches).to.deep.equal([]);
  });

  it('does nothing when the template is already the one from before the fault', async () => {
    const { kube, patches } = deployment(template('gw:1.0'));
    expect(await builtinFaults.rollout.revert(record({ templateHash: templateHash(template('gw:1.1')) }), context(kube))).to.match(/already has the template of revision 5: nothing to undo$/);
    expect(patches).to.deep.equal([]);
  });
});

describe('compare-before-revert: network-cut', () => {
  const set = { policies: [{ name: 'crt-cut-a', uid: 'u1', resourceVersion: '10' }] };
  const record: RevertRecord = { fault: 'network-cut', namespace: 'demo', policies: ['crt-cut-a'], set };
  function policies(now: { uid: string; resourceVersion: string } | null, deleteError?: () => Error) {
    const deletes: unknown[] = [];
    const net = {
      readNamespacedNetworkPolicy: async () => {
        if (!now) throw notFound();
        return { metadata: { name: 'crt-cut-a', ...now } };
      },
      deleteNamespacedNetworkPolicy: async (req: unknown) => {
        if (deleteError) throw deleteError();
        if (!now) throw notFound();
        deletes.push(req);
      },
    };
    return { kube: fakeKube({ net }), deletes };
  }

  it('deletes a policy still as crt made it, on condition that it still is', async () => {
    const { kube, deletes } = policies({ uid: 'u1', resourceVersion: '10' });
    expect(await builtinFaults['network-cut'].revert(record, context(kube))).to.equal('deleted NetworkPolicy crt-cut-a in demo');
    expect(deletes).to.deep.equal([{ name: 'crt-cut-a', namespace: 'demo', body: { preconditions: { uid: 'u1', resourceVersion: '10' } } }]);
  });

  it('leaves a policy edited or recreated since alone', async () => {
    for (const now of [{ uid: 'u1', resourceVersion: '11' }, { uid: 'u2', resourceVersion: '10' }]) {
      const { kube, deletes } = policies(now);
      const err = await refused(builtinFaults['network-cut'].revert(record, context(kube)));
      expect(err.message).to.equal(`networkpolicy/demo/crt-cut-a changed since the fault: crt set uid u1 resourceVersion 10, now uid ${now.uid} resourceVersion ${now.resourceVersion}; left as it is`);
      expect(deletes).to.deep.equal([]);
    }
  });

  it('takes a policy someone deleted as reverted (nothing to undo)', async () => {
    const { kube } = policies(null);
    expect(await builtinFaults['network-cut'].revert(record, context(kube))).to.equal('NetworkPolicy crt-cut-a in demo already gone: nothing to undo');
  });

  it('reports a policy changed between the check and the delete (409 on the preconditions) as changed', async () => {
    const { kube } = policies({ uid: 'u1', resourceVersion: '10' }, conflict);
    const err = await refused(builtinFaults['network-cut'].revert(record, context(kube)));
    expect(err.now).to.equal('changed while crt was reverting');
  });
});

describe('compare-before-revert: nodes', () => {
  function nodes(state: Record<string, V1Node | null>) {
    const patches: Array<{ name: string; body: unknown }> = [];
    const core = {
      readNode: async ({ name }: { name: string }) => {
        const n = state[name];
        if (!n) throw notFound();
        return n;
      },
      patchNode: async (req: { name: string; body: unknown }) => void patches.push(req),
    };
    return { kube: fakeKube({ core }), patches };
  }

  it('node-drain uncordons only the nodes still cordoned: one uncordoned since, or gone, needs nothing', async () => {
    const { kube, patches } = nodes({ 'node-1': { spec: { unschedulable: true } }, 'node-2': { spec: {} }, 'node-3': null });
    const detail = await builtinFaults['node-drain'].revert({ fault: 'node-drain', nodes: ['node-1', 'node-2', 'node-3'], set: { unschedulable: true } }, context(kube));
    expect(detail).to.equal('uncordoned node-1 (node-2, node-3 (gone) already schedulable: nothing to undo)');
    expect(patches).to.deep.equal([{ name: 'node-1', body: { spec: { unschedulable: null } } }]);
  });

  it('node-loss (taint) removes crt\'s taint where it still is, and leaves the node\'s other taints', async () => {
    const taint = { key: 'crt.io/unreachable', value: 'r1', effect: 'NoExecute' };
    const other = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
    const { kube, patches } = nodes({
      'node-1': { metadata: { resourceVersion: '5' }, spec: { taints: [other, taint] } },
      'node-2': { metadata: { resourceVersion: '6' }, spec: { taints: [other] } },
    });
    const detail = await builtinFaults['node-loss'].revert({ fault: 'node-loss', provider: 'taint', nodes: ['node-1', 'node-2'], taint, set: { taint } }, context(kube));
    expect(detail).to.equal('removed the taint crt.io/unreachable=r1:NoExecute from node-1 (node-2 without the taint already: nothing to undo)');
    expect(patches).to.deep.equal([{ name: 'node-1', body: { metadata: { resourceVersion: '5' }, spec: { taints: [other] } } }]);
  });
});
