import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, Watch } from '@kubernetes/client-node';
import { expect } from 'chai';
import { createLogger, systemClock } from '../../../src/core/index.js';
import { ConfigMapJournalStore, Journal, JOURNAL_MAX_BYTES, JournalFullError } from '../../../src/faults/index.js';
import type { KubeClients } from '../../../src/kube/index.js';
import type { ClusterSampleRecord, RunResult } from '../../../src/results/types.js';
import { ClusterWatch } from '../../../src/runner/cluster-watch.js';
import { crt } from '../../helpers/cli.js';
import { manifests, namespace, okDeployment } from '../../helpers/manifests.js';
import { until } from '../../helpers/until.js';
import { startRealApi, type RealApi } from './fixture.js';

const MiB = 1024 * 1024;
/** a pod-template annotation this big makes each rollout's journal entry (it keeps the template to undo) about 230 KiB */
const TEMPLATE_ANNOTATION_BYTES = 230 * 1024;

/**
 * A Deployment scaled to 0 whose pod template carries the ballast: a rollout journals the whole template
 * (to undo it), while no pod of 230 KiB has to be started, watched and stopped by every component.
 */
const bigDeployment = (name: string) => okDeployment({ name, namespace: 'demo', replicas: 0 })
  .replace(`    metadata: {labels: {app: ${name}}}`, `    metadata:\n      labels: {app: ${name}}\n      annotations: {crt.test/ballast: ${'x'.repeat(TEMPLATE_ANNOTATION_BYTES)}}`);

// each rollout is undone 1 s after it is in place (revertAfter), so that FIT's are compacted before FULL
const rollouts = (names: string[], tag: string) => names.map((n) => `        - {at: 0s, name: ${n}, fault: rollout, namespace: demo, deployment: ${n}, action: env, env: {CRT_JOURNAL: "${tag}"}, timeout: 60s, revertAfter: 1s}`).join('\n');

/** Three rollouts fit beside each other (3 × ~230 KiB outstanding); then, FIT reverted and compacted, a fourth beside three would pass 900 KiB. */
const PLAN = `
apiVersion: crt/v1
kind: Plan
metadata: {name: journal-real}
cluster: {kubeconfig: admin.kubeconfig, namespaces: [demo], journalNamespace: crt}
layers:
  logical:
    - id: FIT
      title: three big rollouts at once
      objective: the journal holds three templates to undo
      trigger:
${rollouts(['big-1', 'big-2', 'big-3'], 'fit')}
    - id: FULL
      title: four big rollouts at once
      objective: the fourth is refused by crt before the API server would refuse the ConfigMap
      trigger:
${rollouts(['big-1', 'big-2', 'big-3', 'big-4'], 'full')}
`;

/** What the API server answers a watch of `path` from `resourceVersion`: 410 (Gone), or 'events' when it streams them. */
async function watchFrom(kube: KubeClients, path: string, resourceVersion: string): Promise<{ gone: boolean; first: string }> {
  const seen: Array<{ phase: string; code?: number }> = [];
  let resolveEnd: (err: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => (resolveEnd = resolve));
  const request = await new Watch(kube.kc).watch(path, { resourceVersion }, (phase, obj: { code?: number }) => seen.push({ phase, code: obj.code }), resolveEnd);
  // a watch that replays history instead stays open: ended here
  const guard = setTimeout(() => request.abort(), 3000);
  const err = await ended;
  clearTimeout(guard);
  const gone = seen.some((e) => e.phase === 'ERROR' && e.code === 410) || (err as { statusCode?: number } | null)?.statusCode === 410;
  return { gone, first: seen[0] ? `${seen[0].phase}${seen[0].code ? ` ${seen[0].code}` : ''}` : `ended: ${String((err as { statusCode?: number } | null)?.statusCode ?? err)}` };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) out.push(...(e.isDirectory() ? await filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return out;
}

describe('the journal ConfigMap against the real API server\'s 1 MiB limit, and the cluster view through a real 410 Gone', function () {
  this.timeout(300_000);
  let api: RealApi;
  const t: Record<string, number | string> = {};

  before(async function () {
    // the API server compacts etcd every 2 s (default 5 min), and etcd serves every watch (no watch cache,
    // whose window would hold all of this young cluster's history): an old resourceVersion is soon gone,
    // as on a long-lived cluster once its watch cache has moved on
    api = await startRealApi(this, { nodes: 2, etcdCompactionIntervalMs: 2000, watchCache: false });
    t.startMs = api.startMs;
    await api.apply(manifests(namespace('demo'), namespace('crt'), ...['big-1', 'big-2', 'big-3', 'big-4'].map(bigDeployment), okDeployment({ name: 'view', namespace: 'demo', replicas: 2 })));
    await api.cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 90_000 });
  });

  after(async () => {
    process.stdout.write(`      figures: ${JSON.stringify(t)}\n`);
    await api?.stop();
  });

  it('the real API server refuses a ConfigMap whose data values pass 1 MiB with 422, and takes one of exactly 1 MiB', async () => {
    // the API server sums the values' lengths (not the keys')
    const body = (bytes: number) => ({ metadata: { name: `limit-${bytes}` }, data: { a: 'x'.repeat(bytes - 1000), b: 'x'.repeat(1000) } });
    await api.kube.core.createNamespacedConfigMap({ namespace: 'crt', body: body(MiB) });
    const err = await api.kube.core.createNamespacedConfigMap({ namespace: 'crt', body: body(MiB + 1) }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(ApiException);
    expect((err as ApiException<string>).code).to.equal(422);
    expect(String((err as ApiException<string>).body)).to.match(/Too long: may not be more than 1048576 bytes|must have at most 1048576 bytes/);
    await api.kube.core.deleteNamespacedConfigMap({ namespace: 'crt', name: `limit-${MiB}` });
  });

  it('keeps a journal of many big faults under the limit: finished entries are compacted, the overflow is refused by crt before any 422', async () => {
    const store = new ConfigMapJournalStore(api.kube, 'crt', 'many-big');
    const journal = new Journal('many-big', [store]);
    journal.bindCluster(null);
    const template = 'y'.repeat(200 * 1024);
    const sizes: number[] = [];
    const size = async () => Buffer.byteLength((await api.kube.core.readNamespacedConfigMap({ namespace: 'crt', name: store.configMap })).data?.['journal.jsonl'] ?? '');
    // 10 faults of ~200 KiB each (2 MiB of revert records), each reverted before the next
    for (let i = 0; i < 10; i++) {
      const e = await journal.intend({ caseId: 'MANY', step: `f${i}`, fault: 'rollout', summary: `fault ${i}`, targets: [`deployment/demo/d${i}`], revert: { fault: 'rollout', template } });
      await journal.mark(e, 'applied');
      sizes.push(await size());
      await journal.mark(e, 'reverted');
    }
    t.manyFaults = 10;
    t.manyMaxBytes = Math.max(...sizes);
    t.manyFinalBytes = await size();
    expect(t.manyMaxBytes).to.be.below(JOURNAL_MAX_BYTES);
    // outstanding entries are kept whole: the fifth 200 KiB one would pass 900 KiB and is refused before any write
    const open: string[] = [];
    let refused: unknown = null;
    for (let i = 0; i < 6 && !refused; i++) {
      try {
        const e = await journal.intend({ caseId: 'MANY', step: `open${i}`, fault: 'rollout', summary: `open ${i}`, targets: [`deployment/demo/o${i}`], revert: { fault: 'rollout', template } });
        await journal.mark(e, 'applied');
        open.push(e);
      } catch (err) {
        refused = err;
      }
    }
    expect(open).to.have.length(4);
    expect(refused, String(refused)).to.be.instanceOf(JournalFullError);
    expect((refused as Error).message).to.match(/journal ConfigMap crt\/crt-journal-many-big would hold \d+ KiB, over the 900 KiB crt allows below the API server's 1 MiB limit/);
    t.fullBytes = (refused as JournalFullError).bytes;
    const cm = await api.kube.core.readNamespacedConfigMap({ namespace: 'crt', name: store.configMap });
    expect(cm.metadata?.annotations?.['crt.io/outstanding']).to.equal('4');
    t.openBytes = Buffer.byteLength(cm.data?.['journal.jsonl'] ?? '');
    // nothing was really injected: recorded as reverted, so that later runs find nothing of this one to revert
    for (const id of open) await journal.mark(id, 'reverted');
  });

  it('runs big rollouts through crt run: no 422 ever, the overflow fault is not injected and said so, every rollout is undone', async () => {
    await writeFile(path.join(api.dir, 'admin.kubeconfig'), await readFile(api.cluster.kubeconfig, 'utf8'));
    await writeFile(path.join(api.dir, 'plan.yaml'), PLAN);
    const t0 = Date.now();
    const r = await crt(['run', 'plan.yaml', '--run-id', 'journal-1'], { cwd: api.dir, timeoutMs: 150_000 });
    t.runMs = Date.now() - t0;
    const log = await readFile(path.join(api.dir, 'reports/journal-1/crt.log'), 'utf8').catch(() => '');
    expect(r.code, `${r.stderr}\n${log.split('\n').slice(-40).join('\n')}`).to.equal(1);
    const result = JSON.parse(await readFile(path.join(api.dir, 'reports/journal-1/run.json'), 'utf8')) as RunResult;
    const byId = Object.fromEntries(result.cases.map((c) => [c.id, c]));
    expect(byId.FIT!.verdict, byId.FIT!.reason).to.equal('passed');
    const injects = byId.FULL!.events.filter((e) => e.kind === 'inject');
    expect(injects.filter((e) => e.ok), JSON.stringify(injects.map((e) => [e.name, e.ok, e.detail]))).to.have.length(3);
    const refused = injects.filter((e) => !e.ok);
    expect(refused.map((e) => e.detail)).to.have.length(1);
    expect(refused[0]!.detail, refused[0]!.detail).to.match(/journal ConfigMap crt\/crt-journal-journal-1 would hold \d+ KiB, over the 900 KiB crt allows/);
    for (const c of result.cases) for (const e of c.events.filter((x) => x.kind === 'revert')) expect(e.ok, `${c.id} ${e.name}: ${e.detail}`).to.equal(true);
    expect(result.revertFailures).to.deep.equal([]);
    for (const f of await filesUnder(path.join(api.dir, 'reports/journal-1'))) {
      expect(await readFile(f, 'utf8'), f).not.to.match(/\b422\b|Too long|RequestEntityTooLarge/);
    }
    for (const n of ['big-1', 'big-2', 'big-3', 'big-4']) {
      const d = await api.kube.apps.readNamespacedDeployment({ namespace: 'demo', name: n });
      expect(d.spec?.template.spec?.containers[0]?.env ?? [], n).to.deep.equal([]);
      expect(d.spec?.template.metadata?.annotations?.['crt.test/ballast']?.length, n).to.equal(TEMPLATE_ANNOTATION_BYTES);
    }
    const cm = await api.kube.core.readNamespacedConfigMap({ namespace: 'crt', name: 'crt-journal-journal-1' });
    t.runJournalBytes = Buffer.byteLength(cm.data?.['journal.jsonl'] ?? '');
    expect(cm.metadata?.annotations?.['crt.io/outstanding']).to.equal('0');
    expect(t.runJournalBytes).to.be.below(64 * 1024);
  });

  it('answers a watch from a compacted resourceVersion with 410 Gone (as an ERROR event of the stream)', async () => {
    const r = await watchFrom(api.kube, '/apis/apps/v1/namespaces/demo/deployments', '1');
    t.watchFromRv1 = r.first;
    expect(r.gone, r.first).to.equal(true);
  });

  it('the cluster view, started from a stale list, gets 410 Gone from the real API server, relists, and shows the truth', async () => {
    // the Deployment as it was: 2 replicas; then it is scaled to 3, and the view is started from the old list
    const stale = await api.kube.apps.listNamespacedDeployment({ namespace: 'demo' });
    await api.kubectl(['scale', '-n', 'demo', 'deployment/view', '--replicas=3']);
    await api.kubectl(['rollout', 'status', '-n', 'demo', 'deployment/view', '--timeout=60s']);
    // until etcd's compaction has passed the stale list's resourceVersion
    const staleRv = stale.metadata!.resourceVersion!;
    const t0 = Date.now();
    await until('the stale resourceVersion compacted', async () => (await watchFrom(api.kube, '/apis/apps/v1/namespaces/demo/deployments', staleRv)).gone, 30_000, 500);
    t.staleRvGoneAfterMs = Date.now() - t0;
    let lists = 0;
    const apps = new Proxy(api.kube.apps, {
      get(target, prop, receiver) {
        if (prop !== 'listNamespacedDeployment') return Reflect.get(target, prop, receiver) as unknown;
        return async (req: { namespace: string }) => {
          // the first list is the stale one, at its resourceVersion etcd has compacted since: as an informer that was away
          if (lists++ === 0) return stale;
          return target.listNamespacedDeployment(req);
        };
      },
    });
    const kube: KubeClients = { ...api.kube, apps };
    const samples: ClusterSampleRecord[] = [];
    const warnings: string[] = [];
    const watch = new ClusterWatch({
      kube, clock: systemClock, log: createLogger({ write: (line: string) => warnings.push(line) }, 'warn'), run: 'r', case: 'C', layer: 'logical', namespaces: ['demo'], phase: () => 'baseline',
      write: (r) => samples.push(...r),
    });
    try {
      await watch.start();
      const view = () => samples.filter((s) => s.subject === 'deployment/demo/view');
      await until('the view of deployment/demo/view at 3 ready', () => view().at(-1)?.ready === 3 && view().at(-1)?.desired === 3, 30_000, 100);
      // the stale list, then the relist the 410 caused (a server replaying history instead would have left one list)
      expect(lists).to.equal(2);
      // and the watch after the relist is live: a change is seen
      await api.kubectl(['scale', '-n', 'demo', 'deployment/view', '--replicas=1']);
      await until('the view of deployment/demo/view at 1 desired, 1 ready', () => view().at(-1)?.ready === 1 && view().at(-1)?.desired === 1, 30_000, 100);
      t.viewSamples = JSON.stringify(view().map((s) => `${s.ready}/${s.desired}`));
      // the 410 is not a failure: no restart with back-off, no problem said
      expect(warnings.filter((w) => /cluster watch failed/.test(w))).to.deep.equal([]);
      expect(watch.problems).to.deep.equal([]);
    } finally {
      await watch.stop();
    }
  });
});
