import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { REPO } from '../../helpers/grafana.js';
import { crt, type CliRun } from '../../helpers/cli.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { until } from '../../helpers/until.js';
import type { RunResult } from '../../../src/results/types.js';
import { startRealApi, podReady, type RealApi } from './fixture.js';

const RBAC = path.join(REPO, 'deploy/k8s/rbac.yaml');

/** The system under test: web (3 pods, a budget, an autoscaler object) and api in `demo`; `other` is not granted to crt. */
const SYSTEM = manifests(
  namespace('demo'), namespace('other'),
  okDeployment({ name: 'web', namespace: 'demo', replicas: 3 }), okService('web', 'demo'),
  okDeployment({ name: 'api', namespace: 'demo', replicas: 1 }),
  okDeployment({ name: 'victim', namespace: 'other', replicas: 1 }),
  `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: demo}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`,
  // an HPA object for the hpa probe and the scale fault's hpa/ bounds (no metrics are served: the controller never changes the replicas above minReplicas)
  `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: demo}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
`,
);

/** Every fault kind that acts through the API, every probe, and the cluster view of each case, on `demo`. */
const PLAN = `
apiVersion: crt/v1
kind: Plan
metadata: {name: rbac-real}
cluster: {kubeconfig: sa.kubeconfig, namespaces: [demo], journalNamespace: crt}
targets:
  web: {service: demo/web}
defaults:
  load: {target: web, path: /, rate: 10, timeout: 2s}
layers:
  logical:
    - id: POD-KILL
      title: a pod killed, a network cut, a local command
      objective: the namespaced faults, every probe and the cluster view of a namespace
      conditions:
        - {probe: nodes-ready, name: nodes, count: 3}
        - {probe: deployment-available, name: web-available, namespace: demo, deployment: web}
        - {probe: pods-spread, name: web-spread, namespace: demo, selector: app=web, minNodes: 1}
        - {probe: pdb-exists, name: web-pdb, namespace: demo, deployment: web}
        - {probe: hpa, name: web-hpa, namespace: demo, workload: web, minReplicas: 3}
        - {probe: http, name: web-http, target: web, path: /, status: 200, bodyContains: ok}
      load: {duration: 3s}
      trigger:
        - {at: 0s, name: kill, fault: pod-kill, namespace: demo, selector: app=web, count: 1, gracePeriodSeconds: 0}
        - {at: 0s, name: cut, fault: network-cut, namespace: demo, selector: app=api, verify: false, revertAfter: 1s}
        - {at: 0s, name: local, fault: exec, command: "true", revertCommand: "true"}
    - id: SCALE
      title: a deployment and its autoscaler scaled
      objective: the scale fault and its reverts
      load: {duration: 2s}
      trigger:
        - {at: 0s, name: hpa-bounds, fault: scale, namespace: demo, workload: hpa/web, minReplicas: 3, maxReplicas: 4}
        - {at: 0s, name: api-replicas, fault: scale, namespace: demo, workload: deployment/api, replicas: 2}
    - id: ROLLOUT
      title: api rolled out with a new variable
      objective: the rollout fault and its undo
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: env, fault: rollout, namespace: demo, deployment: api, action: env, env: {CRT_RBAC: "1"}, timeout: 40s}
    - id: DRAIN
      title: the node of api drained
      objective: cordon, evictions through the budget, uncordon
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: drain, fault: node-drain, nodeOf: {namespace: demo, selector: app=api}, timeout: 40s}
    - id: NODE-LOSS
      title: a node of web tainted NoExecute
      objective: the taint-eviction provider and its measurement
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: loss, fault: node-loss, provider: taint-eviction, nodeOf: {namespace: demo, selector: app=web}, count: 1, timeout: 30s}
`;

/** A plan that kills the pod of `other`: refused by the allowlist, or (allowlist extended) by RBAC. */
const outsidePlan = (namespaces: string) => `
apiVersion: crt/v1
kind: Plan
metadata: {name: rbac-outside}
cluster: {kubeconfig: sa.kubeconfig, namespaces: [${namespaces}], journalNamespace: crt}
layers:
  logical:
    - id: OUTSIDE
      title: a pod of a namespace crt was not granted
      objective: refused
      trigger:
        - {at: 0s, name: kill-victim, fault: pod-kill, namespace: other, selector: app=victim, count: 1}
`;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('crt under deploy/k8s/rbac.yaml with a ServiceAccount token, against the real RBAC authorizer', function () {
  this.timeout(300_000);
  let api: RealApi;
  let token: string;
  let run: CliRun;
  const t: Record<string, number> = {};

  before(async function () {
    api = await startRealApi(this, { nodes: 3 });
    t.startMs = api.startMs;
    await api.apply(SYSTEM, 'system.yaml');
    // the shipped file as it is: it binds crt-namespaced-faults in `demo` only (its RoleBinding needs the namespace)
    await api.kubectl(['apply', '-f', RBAC]);
    await api.cluster.waitUntilAvailable({ namespaces: ['demo', 'other'], timeoutMs: 90_000 });
    const tr = await api.kube.core.createNamespacedServiceAccountToken({ namespace: 'crt', name: 'crt', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    token = tr.status!.token;
    // a kubeconfig with the token only: no client certificate
    const admin = new KubeConfig();
    admin.loadFromFile(api.cluster.kubeconfig);
    const ca = admin.getCurrentCluster()!.caData!;
    await writeFile(path.join(api.dir, 'sa.kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: crt, cluster: {server: ${api.cluster.url}, certificate-authority-data: ${ca}}}]
users: [{name: crt-sa, user: {token: ${token}}}]
contexts: [{name: crt-sa, context: {cluster: crt, user: crt-sa}}]
current-context: crt-sa
`);
    await writeFile(path.join(api.dir, 'plan.yaml'), PLAN);
    const t0 = Date.now();
    run = await crt(['run', 'plan.yaml', '--run-id', 'rbac-1'], { cwd: api.dir, timeoutMs: 200_000 });
    t.runMs = Date.now() - t0;
  });

  after(async () => {
    process.stdout.write(`      figures: ${JSON.stringify(t)}\n`);
    await api?.stop();
  });

  it('the token is a ServiceAccount\'s, and the authorizer refuses it what rbac.yaml does not grant', async () => {
    const who = await api.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: path.join(api.dir, 'sa.kubeconfig') });
    expect(who.stdout).to.equal('system:serviceaccount:crt:crt');
    const can = async (args: string[]) => (await api.kubectlTry(['auth', 'can-i', ...args], { kubeconfig: path.join(api.dir, 'sa.kubeconfig') })).stdout.trim();
    expect(await can(['delete', 'pods', '-n', 'demo'])).to.equal('yes');
    expect(await can(['delete', 'pods', '-n', 'other'])).to.equal('no');
    expect(await can(['create', 'pods', '--subresource=eviction', '-n', 'other'])).to.equal('yes');
    expect(await can(['delete', 'nodes'])).to.equal('no');
    expect(await can(['get', 'secrets', '-n', 'crt'])).to.equal('no');
  });

  it('runs every API fault, every probe and the cluster view of each case under the ServiceAccount: all pass and revert', async () => {
    expect(run.code, run.stderr).to.equal(0);
    const result = JSON.parse(await readFile(path.join(api.dir, 'reports/rbac-1/run.json'), 'utf8')) as RunResult;
    const verdicts = Object.fromEntries(result.cases.map((c) => [c.id, c.verdict === 'passed' ? c.verdict : `${c.verdict}: ${c.reason ?? ''}`]));
    expect(verdicts).to.deep.equal({ 'POD-KILL': 'passed', SCALE: 'passed', ROLLOUT: 'passed', DRAIN: 'passed', 'NODE-LOSS': 'passed' });
    let injects = 0;
    let conditions = 0;
    for (const c of result.cases) {
      for (const e of c.events.filter((x) => x.kind === 'inject' || x.kind === 'revert')) {
        injects++;
        expect(e.ok, `${c.id} ${e.kind} ${e.name}: ${e.detail}`).to.equal(true);
      }
      for (const e of c.events.filter((x) => x.kind === 'condition')) {
        conditions++;
        expect(e.ok, `${c.id} condition ${e.name}: ${e.detail}`).to.equal(true);
      }
      // the cluster view says when RBAC refuses it a list or a watch: it said nothing
      expect(c.events.filter((e) => e.kind === 'error').map((e) => e.detail), c.id).to.deep.equal([]);
    }
    expect(result.revertFailures).to.deep.equal([]);
    t.injectAndRevertEvents = injects;
    for (const c of result.cases) t[`case${c.id}Ms`] = Date.parse(c.endedAt) - Date.parse(c.startedAt);
    t.conditions = conditions;
    // the cluster view saw the workloads and the nodes of every case, through its informers
    const samples = (await readFile(path.join(api.dir, 'reports/rbac-1/cluster.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { case: string; kind: string; subject: string });
    t.clusterSamples = samples.length;
    for (const id of Object.keys(verdicts)) {
      const subjects = new Set(samples.filter((s) => s.case === id).map((s) => s.subject));
      expect([...subjects].filter((s) => /^(nodes|deployment\/demo\/web|deployment\/demo\/api)$/.test(s)).sort(), id).to.deep.equal(['deployment/demo/api', 'deployment/demo/web', 'nodes']);
    }
  });

  it('left the cluster as it found it: nodes schedulable and untainted, replicas, bounds, template and policies back', async () => {
    const nodes = await api.kube.core.listNode();
    for (const n of nodes.items) {
      expect(n.spec?.unschedulable ?? false, n.metadata!.name).to.equal(false);
      expect((n.spec?.taints ?? []).map((x) => x.key), n.metadata!.name).to.deep.equal([]);
    }
    const apiDeploy = await api.kube.apps.readNamespacedDeployment({ namespace: 'demo', name: 'api' });
    expect(apiDeploy.spec?.replicas).to.equal(1);
    expect(apiDeploy.spec?.template.spec?.containers[0]?.env ?? []).to.deep.equal([]);
    const hpa = JSON.parse((await api.kubectl(['get', 'hpa', '-n', 'demo', 'web', '-o', 'json'])).stdout) as { spec: { minReplicas: number; maxReplicas: number } };
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).to.deep.equal([3, 5]);
    expect((await api.kubectl(['get', 'networkpolicies', '-n', 'demo', '-o', 'name'])).stdout.trim()).to.equal('');
    await until('web 3 Ready', async () => (await api.kube.core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app=web' })).items.filter(podReady).length === 3, 60_000, 250);
  });

  it('refuses a fault outside cluster.namespaces before it acts (crt\'s allowlist): exit 2, located, nothing touched, nothing journaled', async () => {
    const before = (await api.kube.core.listNamespacedPod({ namespace: 'other' })).items.map((p) => p.metadata!.uid).sort();
    await writeFile(path.join(api.dir, 'outside.yaml'), outsidePlan('demo'));
    const r = await crt(['run', 'outside.yaml', '--run-id', 'outside-1'], { cwd: api.dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(2);
    // the plan's own check, located at the step's namespace, before the cluster is even opened
    expect(r.stderr, r.stderr).to.match(/outside\.yaml:12:\d+ layers\.logical\[0\]\.trigger\[0\]\.namespace: namespace other is not in cluster\.namespaces \(demo\)/);
    expect(r.stderr).to.include('add the namespace to cluster.namespaces if it is meant to be touched');
    expect((await api.kube.core.listNamespacedPod({ namespace: 'other' })).items.map((p) => p.metadata!.uid).sort()).to.deep.equal(before);
    const journals = await api.kube.core.listNamespacedConfigMap({ namespace: 'crt', labelSelector: 'crt.io/journal' });
    expect(journals.items.map((c) => c.metadata!.name)).not.to.include('crt-journal-outside-1');
  });

  it('with the allowlist extended, the API refuses the fault with 403: reported located with a hint, nothing touched, nothing journaled as done', async () => {
    const before = (await api.kube.core.listNamespacedPod({ namespace: 'other' })).items.map((p) => p.metadata!.uid).sort();
    await writeFile(path.join(api.dir, 'outside2.yaml'), outsidePlan('demo, other'));
    const r = await crt(['run', 'outside2.yaml', '--run-id', 'outside-2'], { cwd: api.dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(1);
    const result = JSON.parse(await readFile(path.join(api.dir, 'reports/outside-2/run.json'), 'utf8')) as RunResult;
    const c = result.cases[0]!;
    const inject = c.events.find((e) => e.kind === 'inject');
    expect(inject?.ok).to.equal(false);
    t.forbiddenDetailChars = inject!.detail?.length ?? 0;
    expect(inject!.detail).to.match(/403|forbidden/i);
    expect(inject!.detail).to.include('system:serviceaccount:crt:crt');
    expect(inject!.detail).to.include('the API server\'s authorizer refused crt\'s identity (RBAC)');
    expect(inject!.detail).to.include('add it to cluster.namespaces and run `kubectl -n other create rolebinding crt-namespaced-faults --clusterrole=crt-namespaced-faults --serviceaccount=crt:crt`');
    // the whole line as the user reads it (figures)
    process.stdout.write(`      403 as reported: ${inject!.detail}\n`);
    expect(r.stderr + r.stdout).to.match(/OUTSIDE/);
    expect((await api.kube.core.listNamespacedPod({ namespace: 'other' })).items.map((p) => p.metadata!.uid).sort()).to.deep.equal(before);
    // the journal holds no fault as applied or outstanding: crt revert finds nothing to do
    const journal = (await readFile(path.join(api.dir, 'reports/outside-2/journal.jsonl'), 'utf8').catch(() => '')).trim();
    const states = journal ? journal.split('\n').map((l) => (JSON.parse(l) as { status: string }).status) : [];
    // journaled before it acted, then its failure: never as applied, so nothing is outstanding
    expect(states).to.deep.equal(['intended', 'apply-failed']);
    const cm = await api.kube.core.readNamespacedConfigMap({ namespace: 'crt', name: 'crt-journal-outside-2' });
    expect(cm.metadata?.annotations?.['crt.io/outstanding']).to.equal('0');
    process.stdout.write(`      stderr: ${r.stderr.split('\n').filter((l) => /OUTSIDE|403|forbidden/i.test(l)).join(' | ')}\n`);
    const list = await crt(['revert', '--list', '--plan', 'outside2.yaml'], { cwd: api.dir, timeoutMs: 120_000 });
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout + list.stderr).not.to.include('outside-2');
  });

  it('never writes the token into the run\'s artifacts, logs or output', async () => {
    expect(token).to.match(/^eyJ/);
    const files = await filesUnder(path.join(api.dir, 'reports'));
    t.artifactFiles = files.length;
    let bytes = 0;
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      bytes += text.length;
      expect(text.includes(token), f).to.equal(false);
      // nor its signature alone
      expect(text.includes(token.split('.')[2]!), f).to.equal(false);
    }
    t.artifactBytes = bytes;
    expect(run.stdout.includes(token) || run.stderr.includes(token)).to.equal(false);
    // nor into the journals it keeps in the cluster
    const journals = await api.kube.core.listNamespacedConfigMap({ namespace: 'crt', labelSelector: 'crt.io/journal' });
    expect(journals.items.length).to.be.above(0);
    for (const cm of journals.items) expect(JSON.stringify(cm).includes(token), cm.metadata!.name).to.equal(false);
  });
});
