import { expect } from 'chai';
import type { V1Deployment } from '@kubernetes/client-node';
import { rolloutState } from '../../../src/faults/rollout-status.js';

function deployment(status: NonNullable<V1Deployment['status']>, generation = 2): V1Deployment {
  return { metadata: { name: 'gateway', generation }, spec: { replicas: 3, selector: {}, template: {} }, status };
}

describe('reading a rollout from a Deployment status (as kubectl rollout status)', () => {
  it('waits while the controller has not observed the new generation', () => {
    expect(rolloutState(deployment({ observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })).done).to.equal(false);
  });

  it('waits while old replicas are pending termination', () => {
    const s = rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }));
    expect(s).to.deep.equal({ done: false, message: '1 old replicas are pending termination' });
  });

  it('waits while updated replicas are not all available', () => {
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).done).to.equal(false);
  });

  it('fails when the progress deadline is exceeded', () => {
    const s = rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 1, replicas: 4, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    expect(s).to.include({ done: false, failed: true });
  });

  it('is done when every replica is updated and available and no old one is left', () => {
    expect(rolloutState(deployment({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })).done).to.equal(true);
  });
});
