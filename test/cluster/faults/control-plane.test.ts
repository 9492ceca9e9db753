import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { FileJournalStore, Journal, faultDefinition, outstandingEntries, parseJournal, type FaultContext } from '../../../src/faults/index.js';
import { CONTROL_PLANE_SWITCH_ANNOTATION, kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { RealCluster } from '../../../src/localcluster/real/index.js';
import type { FaultParams } from '../../../src/plan/index.js';
import { action } from '../../helpers/action.js';
import { revertJournalEntries } from '../../../src/runner/index.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const step = (component: FaultParams['control-plane']['component'], name: string = component) => action('control-plane', { component }, name);

/** GET of the web Service from this machine: what the load sees. */
async function served(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return `${res.status} ${await res.text()}`;
}

describe('fault control-plane on the embedded cluster\'s real control plane (3 etcd members)', function () {
  this.timeout(300_000);
  let cluster: RealCluster;
  let kube: KubeClients;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let web: string;

  before(async function () {
    const bin = await requireRealControlPlane(this);
    work = await tempDir();
    const file = path.join(work.dir, 'web.yaml');
    await writeFile(file, manifests(namespace('demo'), okDeployment({ name: 'web', namespace: 'demo', replicas: 2 }), okService('web', 'demo')));
    cluster = new RealCluster({ nodes: 2, stateDir: path.join(work.dir, 'state'), binDir: bin, etcdMembers: 3 });
    await cluster.start();
    kube = kubeClients({ kubeconfig: cluster.kubeconfig });
    await cluster.applyFiles([file]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 90_000 });
    const address = await cluster.serviceAddress('demo', 'web');
    web = `http://${address!.host}:${address!.port}/`;
  });

  after(async () => {
    await cluster?.stop();
    await work?.remove();
  });

  const ctx = (name: string): FaultContext => ({
    runId: 'cp-test', caseId: 'case', step: name, clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: work.dir, kube, kubeconfig: cluster.kubeconfig,
  });

  async function processStates(): Promise<Record<string, string>> {
    const ns = await kube.core.readNamespace({ name: 'kube-system' });
    const base = ns.metadata!.annotations![CONTROL_PLANE_SWITCH_ANNOTATION]!;
    const body = (await (await fetch(`${base}/crt/v1/control-plane`)).json()) as { items: Array<{ id: string; state: string }> };
    return Object.fromEntries(body.items.map((i) => [i.id, i.state]));
  }

  async function markers(): Promise<string[]> {
    return (await kube.core.listNamespacedConfigMap({ namespace: 'default' })).items.map((c) => c.metadata!.name!).filter((n) => n.startsWith('crt-control-plane-'));
  }

  it('runs etcd as three members, and names its switch on Namespace kube-system', async () => {
    expect(await processStates()).to.deep.equal({
      'etcd-0': 'running', 'etcd-1': 'running', 'etcd-2': 'running', 'kube-apiserver': 'running', 'kube-controller-manager': 'running', 'kube-scheduler': 'running',
    });
  });

  it('apiserver: the API refuses connections while the workload keeps serving; the revert brings it back with the write made before', async () => {
    const c = ctx('api-down');
    const plan = await faultDefinition('control-plane')!.create(step('apiserver', 'api-down')).plan(c);
    expect(plan.targets).to.deep.equal(['control-plane/kube-apiserver']);
    const out = await plan.apply();
    expect(out.detail).to.match(/kube-apiserver killed at .*; API unavailable \(/);
    expect(await kube.core.listNamespace().then(() => 'answered', () => 'refused')).to.equal('refused');
    // the kubelets and kube-proxy hold what they have: traffic is unaffected
    for (let i = 0; i < 5; i++) expect(await served(web)).to.equal('200 ok');
    const detail = await faultDefinition('control-plane')!.revert(plan.revert!, c);
    expect(detail).to.match(/^started kube-apiserver again; the API answered and accepted writes .* read back unchanged \(no change lost\) and deleted$/);
    expect((await processStates())['kube-apiserver']).to.equal('running');
    expect(await markers()).to.deep.equal([]);
  });

  it('etcd-member: one member of three gone, writes go on; the revert starts it again', async () => {
    const c = ctx('member');
    const plan = await faultDefinition('control-plane')!.create(step('etcd-member', 'member')).plan(c);
    expect(plan.targets).to.deep.equal(['control-plane/etcd-2']);
    const out = await plan.apply();
    expect(out.detail).to.match(/writes go on \(a write accepted in \d+ ms(\)|, after \d+ refused while etcd elected a leader: )/);
    expect((await processStates())['etcd-2']).to.equal('stopped');
    await kube.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'during-member-loss' }, data: { a: '1' } } });
    await faultDefinition('control-plane')!.revert(plan.revert!, c);
    expect((await processStates())['etcd-2']).to.equal('running');
    expect((await kube.core.readNamespacedConfigMap({ namespace: 'default', name: 'during-member-loss' })).data).to.deep.equal({ a: '1' });
  });

  it('etcd-quorum: two members of three gone, the API refuses writes and the workload keeps serving; writes again after the revert', async () => {
    const c = ctx('quorum');
    const plan = await faultDefinition('control-plane')!.create(step('etcd-quorum', 'quorum')).plan(c);
    expect(plan.targets).to.deep.equal(['control-plane/etcd-1', 'control-plane/etcd-2']);
    const out = await plan.apply();
    expect(out.detail).to.match(/the API refuses writes/);
    for (let i = 0; i < 5; i++) expect(await served(web)).to.equal('200 ok');
    await faultDefinition('control-plane')!.revert(plan.revert!, c);
    const states = await processStates();
    expect([states['etcd-1'], states['etcd-2']]).to.deep.equal(['running', 'running']);
    await kube.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-quorum' }, data: { b: '2' } } });
    expect(await markers()).to.deep.equal([]);
  });

  for (const [component, id] of [['scheduler', 'kube-scheduler'], ['controller-manager', 'kube-controller-manager']] as const) {
    it(`${component}: ${id} is killed, the API still answers, and the revert starts it again`, async () => {
      const c = ctx(component);
      const plan = await faultDefinition('control-plane')!.create(step(component)).plan(c);
      const out = await plan.apply();
      expect(out.detail).to.contain(`${id} killed at`);
      expect((await processStates())[id]).to.equal('stopped');
      await kube.core.listNamespace();
      await faultDefinition('control-plane')!.revert(plan.revert!, c);
      expect((await processStates())[id]).to.equal('running');
    });
  }

  it('a crash while the API is down: the journal alone (no API) brings the API server back', async () => {
    const file = path.join(work.dir, 'journal.jsonl');
    const journal = new Journal('cp-crash', [new FileJournalStore(file)]);
    const c = { ...ctx('crash'), runId: 'cp-crash' };
    const plan = await faultDefinition('control-plane')!.create(step('apiserver', 'crash')).plan(c);
    const id = await journal.intend({ caseId: 'case', step: 'crash', fault: 'control-plane', summary: plan.summary, targets: plan.targets, revert: plan.revert });
    await plan.apply();
    await journal.mark(id, 'applied');
    // the run "crashes" here: what is left is the file, read back as crt revert reads it
    const pending = outstandingEntries(parseJournal(await readFile(file, 'utf8')));
    expect(pending.map((e) => e.step)).to.deep.equal(['crash']);
    expect(await kube.core.listNamespace().then(() => 'answered', () => 'refused')).to.equal('refused');
    const reports = await revertJournalEntries(pending, new Journal('cp-crash', [new FileJournalStore(file)], undefined, pending), { clock: systemClock, log: silentLogger, cwd: work.dir, kube });
    expect(reports.map((r) => r.ok)).to.deep.equal([true]);
    expect(outstandingEntries(parseJournal(await readFile(file, 'utf8')))).to.deep.equal([]);
    await until('the API answers', async () => kube.core.listNamespace().then(() => true, () => false), 10_000, 200);
    expect(await markers()).to.deep.equal([]);
  });
});
