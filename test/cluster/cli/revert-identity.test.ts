import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { parseJournal, type JournalEntry } from '../../../src/faults/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { crt } from '../../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { manifests, namespace, okDeployment } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const MANIFEST = manifests(namespace('demo'), okDeployment({ name: 'web', namespace: 'demo', replicas: 2, port: false }));

/** What a wrong revert would change: the deployment's replicas and image, and the power of node-3. */
async function state(kube: KubeClients) {
  const web = await kube.apps.readNamespacedDeployment({ name: 'web', namespace: 'demo' });
  const power = ((await (await fetch(`${kube.server}/crt/v1/nodes/node-3/power`)).json()) as { state: string }).state;
  return { replicas: web.spec?.replicas, image: web.spec?.template.spec?.containers[0]?.image, power };
}

async function setImage(kube: KubeClients, image: string): Promise<void> {
  const { jsonPatch } = await import('../../../src/faults/kube-common.js');
  await kube.apps.patchNamespacedDeployment({ name: 'web', namespace: 'demo', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }] }, jsonPatch());
}

async function scaleTo(kube: KubeClients, replicas: number): Promise<void> {
  const { mergePatch } = await import('../../../src/faults/kube-common.js');
  await kube.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'demo', body: { spec: { replicas } } }, mergePatch());
}

const plan = (kubeconfig: string, trigger: string) => `
apiVersion: crt/v1
kind: Plan
metadata: {name: identity}
cluster: {kubeconfig: ${JSON.stringify(kubeconfig)}, namespaces: [demo]}
layers:
  logical:
    - id: LOG-ID
      title: faults on the deployment web
      objective: reverted only as crt left them
      trigger:
${trigger}`;

describe('crt revert acts only on its own cluster, and only on what crt set', function () {
  this.timeout(300_000);
  let c: TestCluster;
  let kube: KubeClients;
  let work: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    work = await tempDir();
    await writeFile(path.join(work.dir, 'web.yaml'), MANIFEST);
    c = await startTestCluster({ manifests: [path.join(work.dir, 'web.yaml')], timeoutMs: 60_000 });
    kube = kubeClients({ kubeconfig: c.kubeconfig });
  });

  after(async () => {
    await c?.stop();
    await work?.remove();
  });

  it('H3: a stale run-folder journal neither rolls back nor rescales what was changed after the revert; --force does', async () => {
    const original = await state(kube);
    await writeFile(path.join(work.dir, 'h3.yaml'), plan(c.kubeconfig, `
        - {at: 0s, fault: scale, name: scale, namespace: demo, workload: deployment/web, replicas: 1, revertAfter: 1s}
        - {at: 0s, fault: rollout, name: image, namespace: demo, deployment: web, action: image, image: "node:20-slim-crt", timeout: 60s, revertAfter: 1s}
`));
    const run = await crt(['run', 'h3.yaml', '--run-id', 'h3'], { cwd: work.dir, timeoutMs: 120_000 });
    expect(run.code, run.stderr).to.equal(0);
    await until('web back to 2 replicas', async () => (await state(kube)).replicas === 2);
    expect(await state(kube)).to.deep.equal(original);
    const file = path.join(work.dir, 'reports', 'h3', 'journal.jsonl');
    const lines = parseJournal(readFileSync(file, 'utf8'));
    expect(lines.filter((e) => e.status === 'reverted').map((e) => e.step).sort()).to.deep.equal(['image', 'scale']);
    expect(lines.every((e) => e.cluster?.id && e.cluster.server === kube.server), 'every entry names the cluster').to.equal(true);
    // the folder's journal as a crash before the reverts left it: stale
    await writeFile(file, lines.filter((e) => e.status !== 'reverted').map((e) => `${JSON.stringify(e)}\n`).join(''));

    // a person's legitimate change after crt's revert
    await scaleTo(kube, 3);
    await setImage(kube, 'node:20-slim-v2');
    const changed = await state(kube);
    expect(changed).to.deep.include({ replicas: 3, image: 'node:20-slim-v2' });

    // the cluster's ConfigMap says reverted: the stale file reopens nothing
    const again = await crt(['revert', '--run', 'h3', '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.contain('nothing to revert');
    expect(await state(kube)).to.deep.equal(changed);

    // without the ConfigMap (lost), the file's entries are compared with the cluster: changed since, left alone
    await kube.core.deleteNamespacedConfigMap({ name: 'crt-journal-h3', namespace: 'default' });
    const refused = await crt(['revert', '--run', 'h3', '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
    expect(refused.code, refused.stderr).to.equal(4);
    expect(refused.stderr).to.contain('run h3: 2 to revert');
    expect(refused.stderr).to.match(/^ {2}CHANGED {2}LOG-ID\/scale scale: changed since the fault, left as it is: deployment\/demo\/web: crt set 1 replica\(s\); now 3 replica\(s\)$/m);
    expect(refused.stderr).to.match(/^ {2}CHANGED {2}LOG-ID\/image rollout: changed since the fault, left as it is: deployment\/demo\/web: crt set template [0-9a-f]{12} \(revision \d+, web=node:20-slim-crt\); now template [0-9a-f]{12} \(revision \d+, web=node:20-slim-v2\)$/m);
    expect(refused.stderr).to.contain('2 revert(s) refused: the object changed since the fault, so crt left it as it is (both states above)\nhint: to put the state from before the fault back anyway: crt revert --run h3 --force\n');
    expect(await state(kube)).to.deep.equal(changed);

    const forced = await crt(['revert', '--run', 'h3', '--force', '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 120_000 });
    expect(forced.code, forced.stderr).to.equal(0);
    expect(forced.stderr).to.match(/^ {2}reverted LOG-ID\/scale scale: deployment\/web in demo back to 2 replica\(s\)$/m);
    await until('web back to 2 replicas', async () => (await state(kube)).replicas === 2);
    expect(await state(kube)).to.deep.equal(original);
  });

  it('leaves an object changed during the run as it is at the case\'s end: exit 4, the case\'s revert event and the run\'s revert failures say so', async () => {
    await writeFile(path.join(work.dir, 'inrun.yaml'), plan(c.kubeconfig, `
        - {at: 0s, fault: scale, name: scale, namespace: demo, workload: deployment/web, replicas: 1, revertAfter: 5s}
`));
    const journal = path.join(work.dir, 'reports', 'inrun', 'journal.jsonl');
    const running = crt(['run', 'inrun.yaml', '--run-id', 'inrun'], { cwd: work.dir, timeoutMs: 120_000 });
    await until('the scale applied', () => existsSync(journal) && parseJournal(readFileSync(journal, 'utf8')).some((e) => e.status === 'applied'), 60_000);
    await scaleTo(kube, 3);
    const r = await running;
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.contain('REVERT FAILED — the system may still hold injected faults:\n  LOG-ID/scale: changed since the fault, left as it is: deployment/demo/web: crt set 1 replica(s); now 3 replica(s)\n');
    const events = readFileSync(path.join(work.dir, 'reports', 'inrun', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; ok?: boolean; detail?: string });
    expect(events.find((e) => e.kind === 'revert')).to.include({ ok: false, detail: 'not reverted: changed since the fault, left as it is: deployment/demo/web: crt set 1 replica(s); now 3 replica(s)' });
    const runJson = JSON.parse(readFileSync(path.join(work.dir, 'reports', 'inrun', 'run.json'), 'utf8')) as { revertFailures: string[] };
    expect(runJson.revertFailures).to.deep.equal(['LOG-ID/scale: changed since the fault, left as it is: deployment/demo/web: crt set 1 replica(s); now 3 replica(s)']);
    expect((await state(kube)).replicas).to.equal(3);
    // put back by hand as it was before the fault: crt revert finds nothing left to undo
    await scaleTo(kube, 2);
    const done = await crt(['revert', '--run', 'inrun', '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stderr).to.contain('  reverted LOG-ID/scale scale: deployment/web in demo already at 2 replica(s): nothing to undo\n');
  });

  it('H2: a journal of another cluster is listed as belonging to it and changes nothing here; one of an older crt is refused unless --force', async () => {
    const out = path.join(work.dir, 'h2');
    const other = { server: 'http://127.0.0.1:9', id: '4f1d7c1e-0000-4000-8000-00000000000x' };
    const entry = (id: string, step: string, revert: JournalEntry['revert'], cluster?: JournalEntry['cluster']): JournalEntry => ({
      id, runId: id === 'old-1' ? 'old' : 'from-x', caseId: 'LOG-X', step, fault: revert!.fault, at: '2026-12-07T10:00:00.000Z', status: 'applied', summary: `${step} on x`, targets: [], revert,
      ...(cluster !== undefined ? { cluster } : {}),
    });
    await mkdir(path.join(out, 'from-x'), { recursive: true });
    await writeFile(path.join(out, 'from-x', 'journal.jsonl'), [
      entry('x-1', 'scale', { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'web', previous: { replicas: 5 }, set: { replicas: 2 } }, other),
      entry('x-2', 'power', { fault: 'node-loss', provider: 'local', nodes: ['node-3'], server: other.server, set: { power: 'off' } }, other),
    ].map((e) => `${JSON.stringify(e)}\n`).join(''));
    // node-3 off by an operator of this cluster: a "power on" would show
    const off = await fetch(`${kube.server}/crt/v1/nodes/node-3/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"off"}' });
    expect(off.status).to.equal(200);
    try {
      const before = await state(kube);
      expect(before).to.deep.include({ replicas: 2, power: 'off' });

      const list = await crt(['revert', '--list', '--out', out, '--kubeconfig', c.kubeconfig], { cwd: work.dir });
      expect(list.code, list.stderr).to.equal(0);
      expect(list.stdout.match(/^ {4}belongs to cluster http:\/\/127\.0\.0\.1:9 \(4f1d7c1e-0000-4000-8000-00000000000x\): not touched from here$/gm)).to.have.length(2);

      const r = await crt(['revert', '--all', '--out', out, '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('  not touched LOG-X/scale scale of run from-x: belongs to cluster http://127.0.0.1:9 (4f1d7c1e-0000-4000-8000-00000000000x)\n');
      expect(r.stderr).to.contain('  not touched LOG-X/power node-loss of run from-x: belongs to cluster http://127.0.0.1:9');
      expect(r.stderr).to.match(/2 fault\(s\) belong to another cluster and were not touched \(connected to the cluster at http:\/\/127\.0\.0\.1:\d+ \([0-9a-f-]{36}\)\): revert them connected to their own cluster\nnothing of this cluster to revert\n$/);
      expect(await state(kube)).to.deep.equal(before);
      expect(parseJournal(readFileSync(path.join(out, 'from-x', 'journal.jsonl'), 'utf8')), 'the other cluster\'s journal untouched').to.have.length(2);

      // an entry of an older crt names no cluster: refused, unless --force
      await mkdir(path.join(out, 'old'));
      await writeFile(path.join(out, 'old', 'journal.jsonl'), `${JSON.stringify(entry('old-1', 'scale', { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'web', previous: { replicas: 4 } }))}\n`);
      const refused = await crt(['revert', '--all', '--out', out, '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
      expect(refused.code, refused.stderr).to.equal(4);
      expect(refused.stderr).to.contain('  REFUSED  LOG-X/scale scale of run old: unknown cluster (journaled by an older crt)\n');
      expect(refused.stderr).to.contain('1 fault(s) journaled by an older crt name no cluster: not reverted\nhint: if they were made on this cluster: crt revert --run old --force; if not, revert them connected to their cluster, or remove their run folder\n');
      expect(await state(kube)).to.deep.equal(before);
      const forced = await crt(['revert', '--run', 'old', '--force', '--out', out, '--kubeconfig', c.kubeconfig], { cwd: work.dir, timeoutMs: 60_000 });
      expect(forced.code, forced.stderr).to.equal(0);
      expect(forced.stderr).to.contain('  reverted LOG-X/scale scale: deployment/web in demo back to 4 replica(s)\n');
      expect((await state(kube)).replicas).to.equal(4);
    } finally {
      await fetch(`${kube.server}/crt/v1/nodes/node-3/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"on"}' });
    }
  });

  it('--revert-first leaves a journal ConfigMap entry of another cluster alone, and runs', async () => {
    const other = { server: 'https://elsewhere.example:6443', id: '0b7e9a52-0000-4000-8000-0000000000aa' };
    const foreign: JournalEntry = {
      id: 'f-1', runId: 'foreign', caseId: 'LOG-F', step: 'scale', fault: 'scale', at: '2026-12-07T10:00:00.000Z', status: 'applied', summary: 'scale on another cluster', targets: [],
      revert: { fault: 'scale', namespace: 'demo', kind: 'deployment', name: 'web', previous: { replicas: 5 }, set: { replicas: 2 } }, cluster: other,
    };
    await kube.core.createNamespacedConfigMap({ namespace: 'default', body: {
      metadata: { name: 'crt-journal-foreign', labels: { 'crt.io/journal': 'true' }, annotations: { 'crt.io/run-id': 'foreign' } },
      data: { 'journal.jsonl': `${JSON.stringify(foreign)}\n` },
    } });
    // the test before scaled web to 4: its condition below needs every replica Ready first
    await until('web available', async () => {
      const web = await kube.apps.readNamespacedDeployment({ name: 'web', namespace: 'demo' });
      return web.status?.readyReplicas === web.spec?.replicas && web.status?.updatedReplicas === web.spec?.replicas;
    }, 60_000);
    const before = await state(kube);
    try {
      await writeFile(path.join(work.dir, 'probe.yaml'), plan(c.kubeconfig, '').replace(/\n\s*trigger:\n$/, '\n      conditions: [{probe: deployment-available, namespace: demo, deployment: web}]\n'));
      const r = await crt(['run', 'probe.yaml', '--run-id', 'after-foreign', '--revert-first'], { cwd: work.dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).not.to.contain('--revert-first:');
      expect(await state(kube)).to.deep.equal(before);
      const cm = await kube.core.readNamespacedConfigMap({ name: 'crt-journal-foreign', namespace: 'default' });
      expect(cm.data?.['journal.jsonl']).to.equal(`${JSON.stringify(foreign)}\n`);
    } finally {
      await kube.core.deleteNamespacedConfigMap({ name: 'crt-journal-foreign', namespace: 'default' });
    }
  });
});
