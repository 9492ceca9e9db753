import { expect } from 'chai';
import { UsageError } from '../../../src/core/index.js';
import { cniProfile } from '../../../src/localcluster/cluster.js';
import { dataPlaneOptions } from '../../../src/plan/data-plane-settings.js';

describe('data-plane settings of the embedded cluster', () => {
  it('maps the plan keys to the cluster options and leaves the other keys alone', () => {
    const options = dataPlaneOptions({
      endpointPropagationDelay: '1.5s', podStartDelay: '0', nodeLossTraffic: 'reset', cni: 'drop', nodeCpu: 4, nodeMemory: '8Gi', nodePods: 30, heartbeat: '1s',
    }, 'plan.yaml');
    expect(options).to.deep.equal({
      endpointPropagationDelayMs: 1500, podStartDelayMs: 0, nodeLossTraffic: 'reset', cni: 'drop', nodeCapacity: { cpu: '4', memory: '8Gi', pods: 30 },
    });
    expect(dataPlaneOptions({ heartbeat: '1s' }, 'plan.yaml')).to.deep.equal({});
  });

  for (const [key, value, expected] of [
    ['endpointPropagationDelay', 'soon', 'a duration (1s)'],
    ['nodeLossTraffic', 'refuse', 'drop or reset'],
    ['cni', 'calico', 'keep, drop or reset'],
    ['nodeCpu', 'lots', 'a quantity (4, 3500m)'],
    ['nodeMemory', '-1Gi', 'a quantity (8Gi)'],
    ['nodePods', 2.5, 'a whole number (110)'],
  ] as const) {
    it(`refuses ${key}: ${JSON.stringify(value)} with a UsageError naming the plan and the key`, () => {
      expect(() => dataPlaneOptions({ [key]: value }, 'plan.yaml')).to.throw(UsageError, `plan.yaml: cluster.local.settings.${key} must be ${expected}`);
    });
  }

  it('reads the cni profile, keep by default, networkPolicyCutEstablished as its former spelling', () => {
    expect([cniProfile({}), cniProfile({ cni: 'drop' }), cniProfile({ networkPolicyCutEstablished: true }), cniProfile({ networkPolicyCutEstablished: false }), cniProfile({ cni: 'reset', networkPolicyCutEstablished: true })])
      .to.deep.equal(['keep', 'drop', 'reset', 'keep', 'reset']);
    expect(() => cniProfile({ cni: 'drop', networkPolicyCutEstablished: true })).to.throw(UsageError, 'networkPolicyCutEstablished: true says cni reset, but cni is drop');
  });
});
