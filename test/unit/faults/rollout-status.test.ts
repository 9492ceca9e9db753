import { expect } from 'chai';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { rolloutState, statefulSetRolloutState } from '../../../src/faults/rollout-status.js';

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

describe('reading a rollout from a StatefulSet status (as kubectl rollout status)', () => {
  function statefulSet(status: Partial<NonNullable<V1StatefulSet['status']>>, o: { generation?: number; partition?: number; type?: string } = {}): V1StatefulSet {
    const rollingUpdate = o.partition === undefined ? undefined : { partition: o.partition };
    return {
      metadata: { name: 'chat', generation: o.generation ?? 2 },
      spec: { replicas: 3, selector: {}, serviceName: 'chat', template: {}, updateStrategy: { type: o.type ?? 'RollingUpdate', ...(rollingUpdate ? { rollingUpdate } : {}) } },
      status: { replicas: 3, ...status },
    };
  }

  it('waits while the controller has not observed the new generation', () => {
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 1, readyReplicas: 3, updatedReplicas: 3 }))).to.include({ done: false });
  });

  it('waits while a pod is not ready, then, with the partition the API server defaults to 0, until every pod is updated', () => {
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1 }, { partition: 0 }))).to.deep.equal({ done: false, message: 'waiting for 1 pods to be ready' });
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 }, { partition: 0 }))).to.include({ done: false });
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 }, { partition: 0 }))).to.include({ done: true });
  });

  it('is done with a partition of 2 once the one pod above it is updated', () => {
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }, { partition: 2 }))).to.include({ done: true });
  });

  it('without a partition, waits until the update revision is the current one', () => {
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'chat-a', updateRevision: 'chat-b' }))).to.include({ done: false });
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3, currentReplicas: 3, currentRevision: 'chat-b', updateRevision: 'chat-b' }))).to.deep.equal({ done: true, message: 'statefulset rolling update complete: 3 pods at revision chat-b' });
  });

  it('fails on an OnDelete StatefulSet, whose pods change only when someone deletes them', () => {
    expect(statefulSetRolloutState(statefulSet({ observedGeneration: 2, readyReplicas: 3 }, { type: 'OnDelete' }))).to.include({ done: false, failed: true });
  });
});
