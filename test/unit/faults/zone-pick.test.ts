import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { FaultError, type FaultContext } from '../../../src/faults/index.js';
import { pickNodes } from '../../../src/faults/node-pick.js';
import type { KubeClients } from '../../../src/kube/index.js';

/** Six nodes in three zones (node-1 and node-4 in zone-a, …), answered by label selector as the API server does. */
function zonedKube() {
  const zones = ['zone-a', 'zone-b', 'zone-c'];
  const nodes = [1, 2, 3, 4, 5, 6].map((i) => ({ metadata: { name: `node-${i}`, labels: { 'topology.kubernetes.io/zone': zones[(i - 1) % 3]! } } }));
  const selectors: string[] = [];
  const core = {
    listNode: async (req: { labelSelector?: string } = {}) => {
      if (req.labelSelector) selectors.push(req.labelSelector);
      const [key, value] = (req.labelSelector ?? '=').split('=');
      return { items: req.labelSelector ? nodes.filter((n) => (n.metadata.labels as Record<string, string>)[key!] === value) : nodes };
    },
    listPodForAllNamespaces: async () => ({ items: [] }),
  };
  return { kube: { kc: {}, core, apps: {}, batch: {}, server: 'http://fake:6443' } as unknown as KubeClients, selectors };
}

const context = (kube: KubeClients, hostEnv: Record<string, string> = {}): FaultContext =>
  ({ runId: 'r1', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube, hostEnv });

describe('node picks by zone', () => {
  it('picks every node of the zone at once, by the topology.kubernetes.io/zone label', async () => {
    const { kube, selectors } = zonedKube();
    expect(await pickNodes(kube, { zone: 'zone-b', maxPercent: '34%' }, 'node-loss', context(kube))).to.deep.equal({ nodes: ['node-2', 'node-5'], excluded: [] });
    expect(selectors).to.deep.equal(['topology.kubernetes.io/zone=zone-b']);
  });

  it('refuses a zone holding more of the cluster than maxPercent, naming its nodes', async () => {
    const { kube } = zonedKube();
    const err = await pickNodes(kube, { zone: 'zone-b', maxPercent: '20%' }, 'node-drain', context(kube)).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal('node-drain: 2 of 6 nodes (node-2, node-5) is more than maxPercent 20% (at most 1)');
  });

  it('refuses the whole zone when crt runs on one of its nodes, rather than losing part of it', async () => {
    const { kube } = zonedKube();
    const err = await pickNodes(kube, { zone: 'zone-c', maxPercent: '34%' }, 'node-loss', context(kube, { CRT_NODE_NAME: 'node-6' })).then(() => null, (e: unknown) => e);
    expect((err as Error).message).to.equal('node-loss: zone zone-c holds node-6 (crt runs there): losing the whole zone would end the measurement, not test the system');
  });

  it('says no node matches a zone no node is in', async () => {
    const { kube } = zonedKube();
    const err = await pickNodes(kube, { zone: 'zone-x', maxPercent: '34%' }, 'node-loss', context(kube)).then(() => null, (e: unknown) => e);
    expect((err as Error).message).to.equal('node-loss: no node matches zone zone-x');
  });
});
