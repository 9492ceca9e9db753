import { expect } from 'chai';
import { UsageError } from '../../../src/core/index.js';
import { LocalCluster } from '../../../src/localcluster/index.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { defaultTolerationSeconds } from '../../../src/localcluster/node/default-toleration-seconds.js';
import { checkNodeTimings } from '../../../src/vocabulary/node-timings.js';

const pod = (tolerations?: unknown[]): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], ...(tolerations ? { tolerations } : {}) } });
const admit = (p: KObject, seconds?: number): unknown[] => {
  defaultTolerationSeconds(seconds).create!(p, {});
  return p.spec.tolerations;
};

describe('DefaultTolerationSeconds admission', () => {
  it('adds the not-ready and unreachable NoExecute tolerations for 300 s by default', () => {
    expect(admit(pod())).to.deep.equal([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('keeps a toleration the pod has for one of the taints and adds only the other', () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6000 };
    expect(admit(pod([own]), 5)).to.deep.equal([own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]);
  });

  it('adds nothing to a pod that tolerates every taint', () => {
    expect(admit(pod([{ operator: 'Exists' }]))).to.deep.equal([{ operator: 'Exists' }]);
  });
});

describe('node-loss settings', () => {
  const defaults = { heartbeatMs: 10_000, nodeMonitorPeriodMs: 5_000, nodeMonitorGracePeriodMs: 50_000, defaultTolerationSeconds: 300 };

  it('accepts the Kubernetes defaults', () => {
    expect(() => checkNodeTimings(defaults)).not.to.throw();
  });

  it('refuses a heartbeat period not shorter than the grace period, saying why', () => {
    expect(() => checkNodeTimings({ ...defaults, heartbeatMs: 50_000 })).to.throw(UsageError, 'the heartbeat period (50000 ms) must be shorter than the node monitor grace period (50000 ms)');
  });

  it('refuses a cluster start with such settings before starting anything', async () => {
    const cluster = new LocalCluster({ stateDir: '/nonexistent/never-created', heartbeatMs: 3_000, nodeMonitorGracePeriodMs: 2_000 });
    const err = await cluster.start().then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect(cluster.url).to.equal('');
  });

  it('refuses a fractional or negative toleration', () => {
    expect(() => checkNodeTimings({ ...defaults, defaultTolerationSeconds: 1.5 })).to.throw(UsageError, 'whole seconds');
    expect(() => checkNodeTimings({ ...defaults, defaultTolerationSeconds: -1 })).to.throw(UsageError, 'positive');
  });
});
