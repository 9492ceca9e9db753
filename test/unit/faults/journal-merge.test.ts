import { expect } from 'chai';
import { Journal, adoptCluster, entryScope, latestEntries, mergeJournals, outstandingEntries, type JournalEntry, type JournalStore } from '../../../src/faults/index.js';

const X = { server: 'https://x.example:6443', id: 'uid-x' };
const Y = { server: 'http://127.0.0.1:40000', id: 'uid-y' };

function entry(id: string, status: JournalEntry['status'], at: string, more: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id, runId: 'r1', caseId: 'C', step: id, fault: 'scale', at: `2026-12-07T10:00:${at}Z`, status, summary: `step ${id}`, targets: [],
    revert: { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'gw', previous: { replicas: 3 } }, cluster: X, ...more,
  };
}

const statuses = (entries: JournalEntry[]) => latestEntries(entries).map((e) => `${e.id}:${e.status}`);

describe('journal merge: the cluster\'s ConfigMap is the source of truth', () => {
  it('keeps the ConfigMap\'s states of an entry it holds, even when the file\'s are later', () => {
    const configMap = [entry('a', 'intended', '01'), entry('a', 'applied', '02'), entry('a', 'reverted', '10')];
    // a stale file: it never saw the revert, and a later crt revert from another folder wrote revert-failed at 20
    const file = [entry('a', 'intended', '01'), entry('a', 'applied', '02'), entry('a', 'revert-failed', '20')];
    const merged = mergeJournals(configMap, file);
    expect(statuses(merged)).to.deep.equal(['a:reverted']);
    expect(outstandingEntries(merged)).to.deep.equal([]);
  });

  it('never reopens a reverted entry from a stale applied state in the file, whatever the timestamps', () => {
    const configMap = [entry('a', 'intended', '01'), entry('a', 'reverted', '02')];
    const file = [entry('a', 'applied', '59')];
    expect(outstandingEntries(mergeJournals(configMap, file))).to.deep.equal([]);
  });

  it('adds the entries only the file holds, in the order the entries were first written', () => {
    const configMap = [entry('b', 'intended', '05'), entry('b', 'applied', '06')];
    const file = [entry('a', 'intended', '01'), entry('a', 'applied', '02'), entry('b', 'intended', '05'), entry('c', 'intended', '09')];
    const merged = mergeJournals(configMap, file);
    expect(statuses(merged)).to.deep.equal(['a:applied', 'b:applied', 'c:intended']);
    expect(outstandingEntries(merged).map((e) => e.id)).to.deep.equal(['a', 'b', 'c']);
  });

  it('uses the file alone when the cluster holds no journal of the run, and the ConfigMap alone when there is no file', () => {
    const only = [entry('a', 'intended', '01'), entry('a', 'revert-failed', '03')];
    expect(statuses(mergeJournals([], only))).to.deep.equal(['a:revert-failed']);
    expect(statuses(mergeJournals(only, []))).to.deep.equal(['a:revert-failed']);
  });
});

describe('journal entries bound to their cluster', () => {
  it('tells this cluster\'s entries from another cluster\'s, this machine\'s and an older crt\'s', () => {
    expect(entryScope(entry('a', 'applied', '01'), X)).to.deep.equal({ kind: 'here' });
    // the same cluster through another URL: the id decides
    expect(entryScope(entry('a', 'applied', '01', { cluster: { server: 'https://10.0.0.1', id: 'uid-x' } }), X)).to.deep.equal({ kind: 'here' });
    expect(entryScope(entry('a', 'applied', '01'), Y)).to.deep.equal({ kind: 'elsewhere', cluster: X });
    expect(entryScope(entry('a', 'applied', '01'), undefined)).to.deep.equal({ kind: 'elsewhere', cluster: X });
    expect(entryScope(entry('a', 'applied', '01', { cluster: null }), Y)).to.deep.equal({ kind: 'local' });
    const old = entry('a', 'applied', '01');
    delete old.cluster;
    expect(entryScope(old, Y)).to.deep.equal({ kind: 'unknown' });
  });

  it('gives entries of a cluster\'s own ConfigMap without identity that cluster\'s, and leaves the others as they are', () => {
    const old = entry('a', 'applied', '01');
    delete old.cluster;
    const adopted = adoptCluster([old, entry('b', 'applied', '02', { cluster: X }), entry('c', 'applied', '03', { cluster: null })], Y);
    expect(adopted.map((e) => e.cluster)).to.deep.equal([Y, X, null]);
  });

  it('stamps each new entry with the bound cluster, and none before one is bound (unknown, the safe default)', async () => {
    const written: JournalEntry[] = [];
    const store: JournalStore = { name: 'memory', append: async (e) => void written.push(e) };
    const journal = new Journal('r1', [store], () => new Date('2026-12-07T10:00:00Z'));
    const intent = { caseId: 'C', step: 's', fault: 'exec', summary: 'run', targets: [], revert: { fault: 'exec' } };
    await journal.intend(intent);
    journal.bindCluster(Y);
    await journal.intend(intent);
    journal.bindCluster(null);
    await journal.intend(intent);
    expect(written.map((e) => ('cluster' in e ? e.cluster : 'absent'))).to.deep.equal(['absent', Y, null]);
  });

  it('records what the fault set into the revert record, at once (recordSet) and with the outcome (mark)', async () => {
    const written: JournalEntry[] = [];
    const journal = new Journal('r1', [{ name: 'memory', append: async (e) => void written.push(e) }]);
    journal.bindCluster(X);
    const id = await journal.intend({ caseId: 'C', step: 's', fault: 'rollout', summary: 'roll', targets: [], revert: { fault: 'rollout', deployment: 'gw' } });
    await journal.recordSet(id, { templateHash: 'abc' });
    await journal.mark(id, 'applied', 'rolled out', { revision: '4' });
    expect(written.map((e) => [e.status, e.revert])).to.deep.equal([
      ['intended', { fault: 'rollout', deployment: 'gw' }],
      ['intended', { fault: 'rollout', deployment: 'gw', set: { templateHash: 'abc' } }],
      ['applied', { fault: 'rollout', deployment: 'gw', set: { templateHash: 'abc', revision: '4' } }],
    ]);
    expect(written.every((e) => e.cluster === X)).to.equal(true);
  });
});
