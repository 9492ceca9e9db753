import { expect } from 'chai';
import type { Clock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/index.js';
import { Journal, type JournalEntry } from '../../../src/faults/index.js';
import type { KubeClients } from '../../../src/kube/index.js';
import { revertJournalEntries } from '../../../src/runner/index.js';

/** A clock whose sleeps return at once and are counted: a retry would show as a sleep. */
function countingClock(): Clock & { sleeps: number } {
  const c = { sleeps: 0, now: () => 0, wallNow: () => 0, sleep: async () => void c.sleeps++, after: (): never => { throw new Error('a revert schedules nothing'); } };
  return c;
}

describe('revertJournalEntries and objects changed since the fault', () => {
  const intent: JournalEntry = {
    id: 'e1', runId: 'r1', caseId: 'C', step: 'scale', fault: 'scale', at: '2026-12-07T10:00:00Z', status: 'applied', summary: 'scale', targets: [],
    revert: { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'gw', previous: { replicas: 3 }, set: { replicas: 1 } }, cluster: { server: 'http://fake', id: 'x' },
  };

  it('reports the entry as changed, with both states, at the first attempt (no retry), writes nothing to the object and records revert-failed', async () => {
    let reads = 0;
    const patches: unknown[] = [];
    const apps = {
      readNamespacedDeploymentScale: async () => (reads++, { spec: { replicas: 2 } }),
      patchNamespacedDeploymentScale: async (req: { body: unknown }) => void patches.push(req.body),
    };
    const kube = { apps, server: 'http://fake' } as unknown as KubeClients;
    const written: JournalEntry[] = [];
    const journal = new Journal('r1', [{ name: 'memory', append: async (e) => void written.push(e) }], () => new Date('2026-12-07T11:00:00Z'), [intent]);
    const clock = countingClock();
    const [report] = await revertJournalEntries([intent], journal, { clock, log: silentLogger, kube, cwd: '.' });
    expect(report!.ok).to.equal(false);
    expect(report!.changed).to.deep.equal({ object: 'deployment/demo/gw', crtSet: '1 replica(s)', now: '2 replica(s)' });
    expect(report!.detail).to.equal('changed since the fault, left as it is: deployment/demo/gw: crt set 1 replica(s); now 2 replica(s)');
    expect([reads, clock.sleeps, patches.length]).to.deep.equal([1, 0, 0]);
    expect(written.map((e) => [e.status, e.detail])).to.deep.equal([['revert-failed', report!.detail]]);

    const [forced] = await revertJournalEntries([intent], journal, { clock, log: silentLogger, kube, cwd: '.', force: true });
    expect(forced!.ok).to.equal(true);
    expect(patches).to.deep.equal([{ spec: { replicas: 3 } }]);
  });
});
