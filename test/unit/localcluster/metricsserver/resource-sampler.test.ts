import { expect } from 'chai';
import { ResourceSampler, type UsageNode } from '../../../../src/localcluster/metricsserver/resource-sampler.js';

interface FakeContainer { name: string; cpuMs: number; memoryBytes: number }

/** A node whose pods' counters the test sets. */
function node(name: string): UsageNode & { up: boolean; pods: Map<string, FakeContainer[]> } {
  const pods = new Map<string, FakeContainer[]>();
  const n = {
    name, up: true, pods,
    online: () => n.up,
    podUsage: () => [...pods].map(([uid, containers]) => ({ pod: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'ns', name: `pod-${uid}`, uid, labels: { app: uid } } }, containers: containers.map((c) => ({ ...c })) })),
  };
  return n;
}

describe('ResourceSampler (metrics-server\'s scrape of crt\'s kubelets)', () => {
  let nowMs: number;
  let n1: ReturnType<typeof node>;
  let n2: ReturnType<typeof node>;
  let sampler: ResourceSampler;

  beforeEach(() => {
    nowMs = Date.UTC(2026, 0, 1);
    n1 = node('node-1');
    n2 = node('node-2');
    sampler = new ResourceSampler({ nodes: () => [n1, n2], now: () => nowMs, resolutionMs: 1000 });
  });

  it('reports nothing until two scrapes give a window, then each container\'s CPU rate and its memory at the last scrape', () => {
    n1.pods.set('a', [{ name: 'app', cpuMs: 100, memoryBytes: 10 }, { name: 'side', cpuMs: 0, memoryBytes: 5 }]);
    sampler.sample();
    expect(sampler.pods()).to.deep.equal([]);
    expect(sampler.nodes()).to.deep.equal([]);
    nowMs += 2000;
    n1.pods.set('a', [{ name: 'app', cpuMs: 600, memoryBytes: 30 }, { name: 'side', cpuMs: 20, memoryBytes: 5 }]);
    sampler.sample();
    expect(sampler.pods()).to.deep.equal([{
      namespace: 'ns', name: 'pod-a', uid: 'a', node: 'node-1', labels: { app: 'a' }, timestampMs: nowMs, windowMs: 2000,
      containers: [{ name: 'app', cpuNanocores: 250e6, memoryBytes: 30 }, { name: 'side', cpuNanocores: 10e6, memoryBytes: 5 }],
    }]);
    expect(sampler.nodes()).to.deep.equal([
      { name: 'node-1', timestampMs: nowMs, windowMs: 2000, cpuNanocores: 260e6, memoryBytes: 35 },
      { name: 'node-2', timestampMs: nowMs, windowMs: 2000, cpuNanocores: 0, memoryBytes: 0 },
    ]);
  });

  it('leaves out a pod until each of its containers has a window, and a node whose kubelet does not answer', () => {
    n1.pods.set('a', [{ name: 'app', cpuMs: 0, memoryBytes: 1 }]);
    n2.pods.set('b', [{ name: 'app', cpuMs: 0, memoryBytes: 1 }]);
    sampler.sample();
    nowMs += 1000;
    n1.pods.set('a', [{ name: 'app', cpuMs: 10, memoryBytes: 1 }, { name: 'late', cpuMs: 0, memoryBytes: 1 }]);
    n2.up = false;
    sampler.sample();
    expect(sampler.pods()).to.deep.equal([]);
    expect(sampler.nodes().map((n) => n.name)).to.deep.equal(['node-1']);
  });

  it('counts a restarted container\'s CPU from zero, never as negative usage', () => {
    n1.pods.set('a', [{ name: 'app', cpuMs: 5000, memoryBytes: 1 }]);
    sampler.sample();
    nowMs += 1000;
    n1.pods.set('a', [{ name: 'app', cpuMs: 300, memoryBytes: 1 }]);
    sampler.sample();
    expect(sampler.pods()[0]?.containers[0]?.cpuNanocores).to.equal(300e6);
  });
});
