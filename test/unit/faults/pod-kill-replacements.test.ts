import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { newReadyPods } from '../../../src/faults/pod-kill.js';

const pod = (name: string, uid: string, ready = true, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, namespace: 'db', uid, ...extra },
  spec: { containers: [{ name: 'c' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('pod-kill replacements: found by UID, not by name', () => {
  it('counts a StatefulSet\'s replacement (same name, new UID) once Ready, and never the pod that was killed', () => {
    const before = new Set(['uid-db-0', 'uid-db-1']);
    expect(newReadyPods([pod('db-0', 'uid-db-0', true, { deletionTimestamp: new Date() }), pod('db-1', 'uid-db-1')], before)).to.deep.equal([]);
    expect(newReadyPods([pod('db-0', 'uid-db-0-new', false), pod('db-1', 'uid-db-1')], before), 'not Ready yet').to.deep.equal([]);
    expect(newReadyPods([pod('db-0', 'uid-db-0-new'), pod('db-1', 'uid-db-1')], before)).to.deep.equal(['db-0']);
  });

  it('counts a Deployment\'s replacement (a new name) as before', () => {
    expect(newReadyPods([pod('web-abc', 'u1'), pod('web-new', 'u9')], new Set(['u1', 'u2']))).to.deep.equal(['web-new']);
  });
});
