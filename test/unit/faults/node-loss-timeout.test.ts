import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { KUBERNETES_DETECTION, lossBound } from '../../../src/faults/node-loss-timeout.js';
import { TAINT_EVICTION_KEY } from '../../../src/faults/node-loss-taint.js';

/** The tolerations DefaultTolerationSeconds admission gives a pod that has none of its own. */
const admitted = (name: string, seconds: number): V1Pod => ({
  metadata: { name, namespace: 'demo', uid: name },
  spec: {
    containers: [{ name: 'c' }],
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
    ],
  },
});

describe('node-loss bound: derived from the cluster\'s detection settings and the pods\' tolerations', () => {
  it('with Kubernetes\' defaults a node loss evicts after 50 s + 5 s + 300 s, and the bound adds two monitor periods and 10 s', () => {
    expect(lossBound([admitted('a', 300)], {})).to.deep.equal({ expectedMs: 355_000, timeoutMs: 375_000, timeoutFrom: 'derived', timingsFrom: 'Kubernetes defaults' });
    expect(KUBERNETES_DETECTION).to.deep.equal({ nodeMonitorPeriodMs: 5_000, nodeMonitorGracePeriodMs: 50_000, defaultTolerationSeconds: 300 });
  });

  it('takes the plan\'s settings and the longest toleration among the pods', () => {
    const timings = { nodeMonitorPeriodMs: 500, nodeMonitorGracePeriodMs: 2_000, defaultTolerationSeconds: 2 };
    expect(lossBound([admitted('a', 2), admitted('b', 7)], { timings })).to.deep.equal({ expectedMs: 9_500, timeoutMs: 20_500, timeoutFrom: 'derived', timingsFrom: 'cluster settings' });
  });

  it('keeps the plan\'s timeout when given, still saying when the pods were due', () => {
    expect(lossBound([admitted('a', 300)], { planTimeoutMs: 60_000 })).to.deep.equal({ expectedMs: 355_000, timeoutMs: 60_000, timeoutFrom: 'plan', timingsFrom: 'Kubernetes defaults' });
  });

  it('for crt\'s taint counts no detection and only tolerations of that taint: the unreachable ones do not apply', () => {
    const taint = { key: TAINT_EVICTION_KEY, value: 'r', effect: 'NoExecute' };
    expect(lossBound([admitted('a', 300)], { taint }).expectedMs).to.equal(0);
    const tolerant: V1Pod = { ...admitted('b', 300), spec: { containers: [], tolerations: [{ key: TAINT_EVICTION_KEY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 }] } };
    expect(lossBound([tolerant], { taint })).to.deep.include({ expectedMs: 20_000, timeoutMs: 40_000 });
  });
});
