import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiException, CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { outstandingEntries, parseJournal } from '../../../src/faults/index.js';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import type { RunResult } from '../../../src/results/types.js';
import { crt } from '../../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { until } from '../../helpers/until.js';

const MANIFEST = manifests(
  namespace('demo'),
  okDeployment({ name: 'web', namespace: 'demo', replicas: 3 }),
  okDeployment({ name: 'api', namespace: 'demo', replicas: 1 }),
  okService('web', 'demo'),
);

/** H1 of issue 14: web scaled to 1 and a variable set on api, under load for `duration`. */
const plan = (variable: string, duration: string, extra = '') => `
apiVersion: crt/v1
kind: Plan
metadata: {name: lease-${variable.toLowerCase()}}
cluster: {kubeconfig: kubeconfig, namespaces: [demo]${extra}}
targets:
  web: {service: demo/web}
layers:
  logical:
    - id: LOG-1
      title: web scaled down and api reconfigured under load
      objective: the faults stay in place for the whole load
      load: {target: web, path: /, rate: 5, duration: ${duration}}
      trigger:
        - {at: 0s, name: scale, fault: scale, namespace: demo, workload: deployment/web, replicas: 1}
        - {at: 0s, name: env, fault: rollout, namespace: demo, deployment: api, action: env, env: {${variable}: "1"}, timeout: 30s}
`;

async function clusterState(kube: KubeClients) {
  const web = await kube.apps.readNamespacedDeployment({ name: 'web', namespace: 'demo' });
  const api = await kube.apps.readNamespacedDeployment({ name: 'api', namespace: 'demo' });
  return { webReplicas: web.spec?.replicas, apiEnv: (api.spec?.template.spec?.containers[0]?.env ?? []).map((e) => e.name).sort() };
}

describe('one run per cluster: the run lease on an embedded cluster reached by kubeconfig (issue 14, H1)', function () {
  this.timeout(240_000);
  let tc: TestCluster;
  let kube: KubeClients;
  let leases: CoordinationV1Api;

  before(async () => {
    tc = await startTestCluster({ nodes: 2 });
    await writeFile(path.join(tc.tmp.dir, 'manifest.yaml'), MANIFEST);
    await tc.cluster.applyFiles([path.join(tc.tmp.dir, 'manifest.yaml')]);
    await tc.cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 60_000 });
    kube = kubeClients({ kubeconfig: tc.kubeconfig });
    leases = kube.kc.makeApiClient(CoordinationV1Api);
  });

  after(async () => {
    await tc?.stop();
  });

  const readLease = async () => {
    try {
      return await leases.readNamespacedLease({ name: 'crt-run-lock', namespace: 'default' });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return null;
      throw err;
    }
  };

  it('refuses a second run and --revert-first while the first is live, changing nothing; crt revert leaves it alone; the lease goes with the run', async () => {
    const dir = tc.tmp.dir;
    await writeFile(path.join(dir, 'a.yaml'), plan('FOO', '30s'));
    await writeFile(path.join(dir, 'b.yaml'), plan('BAR', '2s'));
    const original = await clusterState(kube);
    expect(original).to.deep.equal({ webReplicas: 3, apiEnv: [] });

    const runA = crt(['run', 'a.yaml', '--run-id', 'run-a'], { cwd: dir, timeoutMs: 120_000 });
    const journalA = path.join(dir, 'reports', 'run-a', 'journal.jsonl');
    await until('run A applied both faults', () => existsSync(journalA) && parseJournal(readFileSync(journalA, 'utf8')).filter((e) => e.status === 'applied').length === 2, 60_000);
    const lease = await readLease();
    expect(lease?.spec?.holderIdentity).to.equal('run-a');
    expect(lease?.metadata?.annotations).to.include({ 'crt.io/host': os.hostname(), 'crt.io/crt-version': '0.1.0' });
    const during = await clusterState(kube);
    expect(during).to.deep.equal({ webReplicas: 1, apiEnv: ['FOO'] });

    const b = await crt(['run', 'b.yaml', '--run-id', 'run-b'], { cwd: dir, timeoutMs: 60_000 });
    expect(b.code, b.stderr).to.equal(3);
    expect(b.stderr).to.match(new RegExp(`error: another crt run holds this cluster: run run-a on ${os.hostname()} \\(pid \\d+, crt 0\\.1\\.0\\) since \\S+Z; its lease default/crt-run-lock at http://127\\.0\\.0\\.1:\\d+ expires at \\S+Z \\(in \\d+ s\\) unless renewed\\n`));
    expect(b.stderr).to.contain('hint: one run per cluster: wait until run run-a ends, or stop it.');
    expect(await clusterState(kube)).to.deep.equal(during);
    expect((await kube.core.listNamespacedConfigMap({ namespace: 'default' })).items.map((c) => c.metadata?.name)).to.deep.equal(['crt-journal-run-a']);

    // past the lease's duration: only renewals keep it live
    const acquired = Date.parse(String(lease?.spec?.acquireTime));
    await until('run A renewed its lease past its first 15 s', async () => Date.parse(String((await readLease())?.spec?.renewTime)) > acquired + 15_000, 30_000, 500);
    const first = await crt(['run', 'b.yaml', '--run-id', 'run-c', '--revert-first'], { cwd: dir, timeoutMs: 60_000 });
    expect(first.code, first.stderr).to.equal(3);
    expect(first.stderr).to.contain('error: another crt run holds this cluster: run run-a on');
    expect(first.stderr).not.to.contain('--revert-first: reverted');
    expect(await clusterState(kube)).to.deep.equal(during);

    const revert = await crt(['revert', '--all', '--kubeconfig', tc.kubeconfig], { cwd: dir, timeoutMs: 60_000 });
    expect(revert.code, revert.stderr).to.equal(3);
    expect(revert.stderr).to.match(new RegExp(`^run run-a: not reverted, in progress on ${os.hostname()} since \\S+Z \\(its lease expires at \\S+Z \\(in \\d+ s\\) unless renewed\\); it reverts its faults when it ends \\(--force reverts them now\\)$`, 'm'));
    expect(await clusterState(kube)).to.deep.equal(during);
    const list = await crt(['revert', '--list', '--kubeconfig', tc.kubeconfig], { cwd: dir, timeoutMs: 60_000 });
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(new RegExp(`^run-a \\(reports/run-a/journal\\.jsonl, configmap default/crt-journal-…\\)\n {2}in progress on ${os.hostname()} since \\S+Z \\(its lease expires at \\S+Z \\(in \\d+ s\\) unless renewed\\): not revertable now\n`));
    const cm = await kube.core.readNamespacedConfigMap({ name: 'crt-journal-run-a', namespace: 'default' });
    expect(outstandingEntries(parseJournal(cm.data!['journal.jsonl']!)).map((e) => e.step).sort()).to.deep.equal(['env', 'scale']);

    const a = await runA;
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stderr).to.contain('run lease default/crt-run-lock taken: no other crt run acts on this cluster until this one ends');
    expect(a.stderr, 'a kubeconfig cluster is not stopped').not.to.contain('stopping the embedded cluster');
    const result = JSON.parse(await readFile(path.join(dir, 'reports', 'run-a', 'run.json'), 'utf8')) as RunResult;
    expect(result.environment.clusterLease).to.deep.equal({ name: 'crt-run-lock', namespace: 'default', durationSec: 15, released: true });
    for (const e of result.cases[0]!.events.filter((x) => x.kind === 'inject' || x.kind === 'revert')) expect(e.ok, `${e.kind} ${e.name}: ${e.detail}`).to.equal(true);
    expect(await readLease(), 'the lease is gone with run A').to.equal(null);
    await until('web back to 3 replicas', async () => (await clusterState(kube)).webReplicas === 3);
    expect(await clusterState(kube)).to.deep.equal(original);
  });

  it('refuses a run id whose journal ConfigMap name is another run\'s (case, _ and -), and a missing journal namespace, before anything acts', async () => {
    const dir = tc.tmp.dir;
    await writeFile(path.join(dir, 'b.yaml'), plan('BAR', '2s'));
    const before = await clusterState(kube);
    // run-a's journal (the test above) is crt-journal-run-a
    const clash = await crt(['run', 'b.yaml', '--run-id', 'Run_A'], { cwd: dir, timeoutMs: 60_000 });
    expect(clash.code, clash.stderr).to.equal(3);
    expect(clash.stderr).to.contain('error: run id Run_A maps to the journal ConfigMap default/crt-journal-run-a, which holds the journal of run run-a\n');
    expect(clash.stderr).to.contain('hint: run ids are compared without case and with _ and - alike: choose another --run-id');
    expect(await clusterState(kube)).to.deep.equal(before);
    expect(await readLease(), 'the refused run released its lease').to.equal(null);

    await writeFile(path.join(dir, 'nowhere.yaml'), plan('BAR', '2s', ', journalNamespace: nowhere'));
    const missing = await crt(['run', 'nowhere.yaml', '--run-id', 'nowhere'], { cwd: dir, timeoutMs: 60_000 });
    expect(missing.code, missing.stderr).to.equal(3);
    expect(missing.stderr).to.match(/error: the journal namespace nowhere does not exist \(cannot create the run lease nowhere\/crt-run-lock at http:\/\/127\.0\.0\.1:\d+\)\n/);
    expect(missing.stderr).to.contain('hint: create it (kubectl create namespace nowhere) or set cluster.journalNamespace in the plan to an existing namespace');
    expect(await clusterState(kube)).to.deep.equal(before);
  });

  it('injects nothing more once another run has taken its lease (fail safe), and records the loss', async () => {
    const dir = tc.tmp.dir;
    await writeFile(path.join(dir, 'late.yaml'), plan('LATE', '12s').replace(
      '        - {at: 0s, name: env,',
      '        - {at: 10s, name: env,',
    ));
    const run = crt(['run', 'late.yaml', '--run-id', 'run-late'], { cwd: dir, timeoutMs: 90_000 });
    await until('run-late holds the lease', async () => (await readLease())?.spec?.holderIdentity === 'run-late', 60_000, 100);
    // another writer takes the lease over (as a run would after a lapse)
    const held = (await readLease())!;
    await leases.replaceNamespacedLease({ name: 'crt-run-lock', namespace: 'default', body: { ...held, spec: { ...held.spec, holderIdentity: 'intruder' } } });
    const r = await run;
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/LEASE LOST: the run lost its cluster lease default\/crt-run-lock at http:\/\/127\.0\.0\.1:\d+ \(taken by run intruder on .*\); no further fault is injected\n/);
    const result = JSON.parse(await readFile(path.join(dir, 'reports', 'run-late', 'run.json'), 'utf8')) as RunResult;
    expect(result.environment.clusterLease?.lost?.reason).to.match(/^taken by run intruder/);
    const env = result.cases[0]!.events.find((e) => e.kind === 'inject' && e.name === 'env');
    expect(env?.ok).to.equal(false);
    expect(env?.detail).to.match(/^not injected: the run lost its cluster lease default\/crt-run-lock/);
    expect((await clusterState(kube)).apiEnv, 'the late fault never reached the cluster').to.deep.equal([]);
    expect((await readLease())?.spec?.holderIdentity, 'the other holder\'s lease is left').to.equal('intruder');
    await leases.deleteNamespacedLease({ name: 'crt-run-lock', namespace: 'default' });
    await until('web back to 3 replicas', async () => (await clusterState(kube)).webReplicas === 3);
  });
});
