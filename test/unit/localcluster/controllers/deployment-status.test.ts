import { expect } from 'chai';
import { NEW_RS_AVAILABLE, stuckRequeueMs } from '../../../../src/localcluster/controllers/deployment-status.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function deployment(reason: string, lastUpdateMs: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gateway', namespace: 'demo' },
    spec: { replicas: 3, progressDeadlineSeconds: 60 },
    status: { conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: iso(lastUpdateMs), lastTransitionTime: iso(lastUpdateMs) }] },
  };
}

// what a node loss leaves: 3 replicas, all updated, one of them unavailable
const unavailable = { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 };

describe('stuckRequeueMs (requeueStuckDeployment)', () => {
  it('does not look again at a finished rollout whose pods went unavailable long after it (no hot loop during a node loss)', () => {
    expect(stuckRequeueMs(deployment(NEW_RS_AVAILABLE, NOW - 10 * 60_000), unavailable, NOW)).to.equal(undefined);
  });

  it('looks again one second after a rollout deadline passes, never at once', () => {
    expect(stuckRequeueMs(deployment('ReplicaSetUpdated', NOW - 59_500), unavailable, NOW)).to.equal(1000);
    expect(stuckRequeueMs(deployment('ReplicaSetUpdated', NOW - 120_000), unavailable, NOW)).to.equal(1000);
  });

  it('looks again a second after the deadline of a rollout still in progress', () => {
    expect(stuckRequeueMs(deployment('ReplicaSetUpdated', NOW - 20_000), unavailable, NOW)).to.equal(41_000);
  });
});
