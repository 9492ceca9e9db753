import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { FaultError } from '../../../src/faults/index.js';
import { evictable } from '../../../src/faults/node-drain.js';
import { evictedOnLoss } from '../../../src/faults/node-loss.js';

const pod = (name: string, extra: { meta?: V1Pod['metadata']; spec?: Partial<NonNullable<V1Pod['spec']>>; phase?: string } = {}): V1Pod => ({
  metadata: { name, namespace: 'app', uid: name, ...extra.meta },
  spec: { containers: [{ name: 'c' }], ...extra.spec },
  status: { phase: extra.phase ?? 'Running' },
});
const daemon = pod('ds-1', { meta: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u', controller: true }] } });
const mirror = pod('static-1', { meta: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } });
const scratch = pod('scratch-1', { spec: { volumes: [{ name: 's', emptyDir: {} }] } });
const plain = pod('web-1');
const names = (pods: V1Pod[]): string[] => pods.map((p) => p.metadata!.name!);

describe('node-drain pod filters (kubectl drain semantics)', () => {
  it('skips mirror and terminating pods without refusing the drain', () => {
    const terminating = pod('old-1', { meta: { deletionTimestamp: new Date() } });
    expect(names(evictable([plain, mirror, terminating], {}, 'n1'))).to.deep.equal(['web-1']);
  });

  it('refuses DaemonSet and emptyDir pods together, in one error naming each and the key that allows it', () => {
    const err = (() => {
      try {
        evictable([plain, daemon, scratch], {}, 'n1');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal('cannot drain n1: app/ds-1 is managed by a DaemonSet (set ignoreDaemonSets); app/scratch-1 has emptyDir data (set deleteEmptyDirData)');
  });

  it('leaves DaemonSet pods in place and evicts emptyDir pods when both keys are set', () => {
    expect(names(evictable([plain, daemon, scratch], { ignoreDaemonSets: true, deleteEmptyDirData: true }, 'n1'))).to.deep.equal(['web-1', 'scratch-1']);
  });
});

describe('node-loss: which pods a lost node is expected to lose', () => {
  it('counts ordinary pods, including those tolerating an unreachable node for a while', () => {
    const forAWhile = pod('w', { spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] } });
    expect([plain, forAWhile].map(evictedOnLoss)).to.deep.equal([true, true]);
  });

  it('leaves out DaemonSet, mirror and finished pods, and pods tolerating an unreachable node or every taint forever', () => {
    const forever = pod('f', { spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] } });
    const everything = pod('e', { spec: { tolerations: [{ operator: 'Exists' }] } });
    const done = pod('d', { phase: 'Succeeded' });
    expect([daemon, mirror, forever, everything, done].map(evictedOnLoss)).to.deep.equal([false, false, false, false, false]);
  });
});
