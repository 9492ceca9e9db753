import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  ConfigMapJournalStore, JOURNAL_EXPIRES_ANNOTATION, JOURNAL_MAX_BYTES, JOURNAL_RETENTION_MS, Journal, JournalFullError, clusterJournals, compactJournal, deleteExpiredJournals,
  mergeJournals, outstandingEntries, parseJournal, type JournalEntry, type JournalStore,
} from '../../../src/faults/index.js';
import type { KubeClients } from '../../../src/kube/index.js';

const fail = (code: number, message: string) => new ApiException(code, message, JSON.stringify({ kind: 'Status', code, message }), {});

/**
 * The ConfigMap calls the journal makes, kept in memory as an API server keeps them: resourceVersion
 * checked on replace and on a conditioned delete (409), and a ConfigMap whose data passes 1 MiB refused (422).
 */
function fakeConfigMaps() {
  const maps = new Map<string, V1ConfigMap>();
  let rv = 0;
  const calls: string[] = [];
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const store = (body: V1ConfigMap) => {
    const size = Object.entries(body.data ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (size > 1024 * 1024) throw fail(422, 'ConfigMap "x" is invalid: []: Too long: must have at most 1048576 bytes');
    const saved = structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } });
    maps.set(key(body.metadata!.namespace!, body.metadata!.name!), saved);
    return saved;
  };
  const core = {
    readNamespacedConfigMap: async ({ name, namespace }: { name: string; namespace: string }) => {
      calls.push('get');
      const cm = maps.get(key(namespace, name));
      if (!cm) throw fail(404, 'not found');
      return structuredClone(cm);
    },
    createNamespacedConfigMap: async ({ body }: { body: V1ConfigMap }) => {
      calls.push('create');
      if (maps.has(key(body.metadata!.namespace!, body.metadata!.name!))) throw fail(409, 'already exists');
      return store(body);
    },
    replaceNamespacedConfigMap: async ({ body }: { body: V1ConfigMap }) => {
      calls.push('update');
      const cm = maps.get(key(body.metadata!.namespace!, body.metadata!.name!));
      if (!cm || cm.metadata?.resourceVersion !== body.metadata?.resourceVersion) throw fail(409, 'the object has been modified');
      return store(body);
    },
    listNamespacedConfigMap: async ({ namespace }: { namespace: string }) => {
      calls.push('list');
      return { items: [...maps.values()].filter((c) => c.metadata?.namespace === namespace).map((c) => structuredClone(c)) };
    },
    deleteNamespacedConfigMap: async ({ name, namespace, body }: { name: string; namespace: string; body?: { preconditions?: { resourceVersion?: string } } }) => {
      calls.push('delete');
      const cm = maps.get(key(namespace, name));
      if (!cm) throw fail(404, 'not found');
      if (body?.preconditions?.resourceVersion && body.preconditions.resourceVersion !== cm.metadata?.resourceVersion) throw fail(409, 'precondition failed');
      maps.delete(key(namespace, name));
      return {};
    },
  };
  return { kube: { core, server: 'http://fake' } as unknown as KubeClients, maps, calls, data: (name: string) => maps.get(`default/${name}`)?.data?.['journal.jsonl'] ?? '' };
}

/** A pod template of `kib` KiB, like a rollout's revert carries. */
const template = (kib: number) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', args: ['x'.repeat(kib * 1024)] }] } });
const rollout = (kib: number) => ({ fault: 'rollout', namespace: 'demo', deployment: 'web', revision: '1', template: template(kib), timeoutMs: 60_000 });

describe('the journal ConfigMap: bounded, each revert once, expiring when fully reverted', () => {
  let wall: number;
  const now = () => new Date(wall);
  beforeEach(() => {
    wall = Date.parse('2026-12-07T12:00:00.000Z');
  });

  it('keeps the latest state of each entry once: a rollout\'s template is stored once whatever the states written', async () => {
    const k = fakeConfigMaps();
    const journal = new Journal('r1', [new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    const id = await journal.intend({ caseId: 'C', step: 'roll', fault: 'rollout', summary: 'roll out web', targets: ['deployment/demo/web'], revert: rollout(20) });
    await journal.recordSet(id, { templateHash: 'a'.repeat(64) });
    await journal.recordSet(id, { revision: '2' });
    await journal.mark(id, 'applied', 'rolled out');
    const text = k.data('crt-journal-r1');
    expect(text.split('x'.repeat(20 * 1024)).length - 1, 'copies of the template').to.equal(1);
    const entries = parseJournal(text);
    expect(entries).to.have.length(1);
    expect(entries[0]).to.deep.include({ status: 'applied', intendedAt: '2026-12-07T12:00:00.000Z' });
    expect(entries[0]!.revert?.set).to.deep.equal({ templateHash: 'a'.repeat(64), revision: '2' });
    expect(outstandingEntries(entries).map((e) => e.id)).to.deep.equal([id]);
  });

  it('records twelve faults injected at the same instant, none lost to another one\'s write (one writer at a time in this process)', async () => {
    const k = fakeConfigMaps();
    const journal = new Journal('r1', [new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => journal.intend({ caseId: 'C', step: `scale-${i}`, fault: 'scale', summary: `scale ${i}`, targets: [`deployment/demo/w${i}`], revert: { fault: 'scale', namespace: 'demo', workload: `deployment/w${i}`, replicas: 2 } })));
    const steps = k.data('crt-journal-r1').trim().split('\n').map((l) => (JSON.parse(l) as { step: string }).step);
    expect(new Set(steps).size).to.equal(12);
    expect(ids).to.have.length(12);
  });

  it('drops the revert of a finished entry, keeps it listed, and marks a journal with nothing left to revert with an expiry', async () => {
    const k = fakeConfigMaps();
    const journal = new Journal('r1', [new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    const id = await journal.intend({ caseId: 'C', step: 'roll', fault: 'rollout', summary: 'roll out web', targets: ['deployment/demo/web'], revert: rollout(20) });
    expect(k.maps.get('default/crt-journal-r1')!.metadata!.annotations).to.not.have.property(JOURNAL_EXPIRES_ANNOTATION);
    await journal.mark(id, 'reverted', 'rolled back');
    const cm = k.maps.get('default/crt-journal-r1')!;
    expect(Buffer.byteLength(k.data('crt-journal-r1'))).to.be.below(1024);
    expect(parseJournal(k.data('crt-journal-r1'))[0]).to.deep.include({ id, status: 'reverted', revert: null, summary: 'roll out web' });
    expect(cm.metadata!.labels).to.deep.include({ 'crt.io/journal-done': 'true' });
    expect(cm.metadata!.annotations).to.deep.include({ 'crt.io/outstanding': '0', [JOURNAL_EXPIRES_ANNOTATION]: new Date(wall + JOURNAL_RETENTION_MS).toISOString() });
  });

  it('refuses an intent that would pass the limit before the API server does, writes nothing there, and tells the file the fault was not injected', async () => {
    const k = fakeConfigMaps();
    const file: JournalEntry[] = [];
    const fileStore: JournalStore = { name: 'file', append: async (e) => void file.push(e) };
    const journal = new Journal('r1', [fileStore, new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    // outstanding reverts are kept whole: three templates of 300 KiB fit, a fourth does not
    for (let i = 0; i < 2; i++) await journal.intend({ caseId: 'C', step: `roll-${i}`, fault: 'rollout', summary: 's', targets: [], revert: rollout(300) });
    const before = k.maps.get('default/crt-journal-r1')!.metadata!.resourceVersion;
    const err = await journal.intend({ caseId: 'C', step: 'roll-2', fault: 'rollout', summary: 's', targets: [], revert: rollout(400) }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(JournalFullError);
    expect((err as Error).message).to.match(/^journal ConfigMap default\/crt-journal-r1 would hold 1\d\d\d KiB, over the 900 KiB crt allows below the API server's 1 MiB limit for a ConfigMap; .*revert some/);
    expect(k.maps.get('default/crt-journal-r1')!.metadata!.resourceVersion, 'the ConfigMap untouched').to.equal(before);
    expect(parseJournal(k.data('crt-journal-r1')).map((e) => e.step)).to.deep.equal(['roll-0', 'roll-1']);
    const refused = file.filter((e) => e.step === 'roll-2');
    expect(refused.map((e) => e.status)).to.deep.equal(['intended', 'apply-failed']);
    expect(refused[1]!.detail).to.match(/^not injected: the configmap journal refused the intent \(journal ConfigMap/);
    expect(outstandingEntries(file).map((e) => e.step), 'the refused intent is not left to revert').to.deep.equal(['roll-0', 'roll-1']);
    expect(JOURNAL_MAX_BYTES).to.be.below(1024 * 1024);
  });

  it('stays bounded over many faults: 300 reverted scale faults take a few hundred bytes each', async () => {
    const k = fakeConfigMaps();
    const journal = new Journal('r1', [new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    for (let i = 0; i < 300; i++) {
      const id = await journal.intend({ caseId: 'C', step: `s-${i}`, fault: 'scale', summary: 'scale deployment demo/web to 1', targets: ['deployment/demo/web'], revert: { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'web', previous: { replicas: 3 } } });
      await journal.mark(id, 'applied');
      await journal.mark(id, 'reverted', 'scaled back to 3');
    }
    const bytes = Buffer.byteLength(k.data('crt-journal-r1'));
    expect(bytes / 300).to.be.below(450);
    expect(bytes).to.be.below(JOURNAL_MAX_BYTES);
  });

  it('keeps the order of intents for the merge with the file, so that reverts still go newest first', async () => {
    const k = fakeConfigMaps();
    const journal = new Journal('r1', [new ConfigMapJournalStore(k.kube, 'default', 'r1', () => wall)], now);
    const first = await journal.intend({ caseId: 'C', step: 'first', fault: 'scale', summary: 's', targets: [], revert: { fault: 'scale' } });
    wall += 1000;
    const second = await journal.intend({ caseId: 'C', step: 'second', fault: 'scale', summary: 's', targets: [], revert: { fault: 'scale' } });
    wall += 1000;
    await journal.mark(first, 'revert-failed', 'later state of the older entry');
    const merged = mergeJournals(parseJournal(k.data('crt-journal-r1')), []);
    expect(outstandingEntries(merged).map((e) => e.id)).to.deep.equal([first, second]);
  });

  it('keeps the intent time of an older crt\'s journal (every state, no intendedAt) when it compacts it', () => {
    const base = { runId: 'r1', caseId: 'C', fault: 'scale', summary: 's', targets: [], revert: { fault: 'scale' } };
    const old: JournalEntry[] = [
      { ...base, id: 'a', step: 'a', at: '2026-12-07T10:00:00Z', status: 'intended' },
      { ...base, id: 'b', step: 'b', at: '2026-12-07T10:00:01Z', status: 'intended' },
      { ...base, id: 'a', step: 'a', at: '2026-12-07T10:00:05Z', status: 'revert-failed' },
    ];
    const compacted = compactJournal(old);
    expect(compacted.map((e) => [e.id, e.status, e.intendedAt])).to.deep.equal([['a', 'revert-failed', '2026-12-07T10:00:00Z'], ['b', 'intended', '2026-12-07T10:00:01Z']]);
    expect(outstandingEntries(mergeJournals(compacted, [])).map((e) => e.id), 'a was intended first').to.deep.equal(['a', 'b']);
  });

  it('deletes only expired journals with nothing outstanding, conditioned on the version read', async () => {
    const k = fakeConfigMaps();
    const done = new Journal('done', [new ConfigMapJournalStore(k.kube, 'default', 'done', () => wall)], now);
    await done.mark(await done.intend({ caseId: 'C', step: 's', fault: 'scale', summary: 's', targets: [], revert: { fault: 'scale' } }), 'reverted');
    const open = new Journal('open', [new ConfigMapJournalStore(k.kube, 'default', 'open', () => wall)], now);
    await open.intend({ caseId: 'C', step: 's', fault: 'scale', summary: 's', targets: [], revert: { fault: 'scale' } });
    const written = new Journal('written', [new ConfigMapJournalStore(k.kube, 'default', 'written', () => wall)], now);
    const wid = await written.intend({ caseId: 'C', step: 's', fault: 'pod-kill', summary: 's', targets: [], revert: null });

    const journals = await clusterJournals(k.kube, 'default');
    expect(await deleteExpiredJournals(k.kube, journals, wall + JOURNAL_RETENTION_MS - 1), 'before the expiry').to.deep.equal([]);
    await written.mark(wid, 'applied'); // written after the list: its resourceVersion moved
    const errors: string[] = [];
    expect(await deleteExpiredJournals(k.kube, journals, wall + JOURNAL_RETENTION_MS + 1, (name) => errors.push(name))).to.deep.equal(['default/crt-journal-done']);
    expect([...k.maps.keys()].sort()).to.deep.equal(['default/crt-journal-open', 'default/crt-journal-written']);
    expect(errors).to.deep.equal([]);
  });
});
