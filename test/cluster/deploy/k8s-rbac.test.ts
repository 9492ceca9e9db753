import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { kubeClients } from '../../../src/kube/index.js';
import type { LocalCluster, AuditRecord } from '../../../src/localcluster/index.js';
import type { RunResult } from '../../../src/results/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { crt } from '../../helpers/cli.js';
import { REPO } from '../../helpers/grafana.js';
import { BOOTSTRAP_GRANTS, describeRequest, grantAllows, grantsOf, permissions, readObjects, usesPermission } from '../../helpers/rbac.js';

const RBAC = path.join(REPO, 'deploy/k8s/rbac.yaml');
const SERVICE_ACCOUNT = { namespace: 'crt', name: 'crt' };

/**
 * Permissions of rbac.yaml that no request on the embedded cluster can exercise, each with the reason. The
 * test checks the reason still holds, so that an entry goes once the embedded cluster can record it.
 */
const UNRECORDABLE = [
  { verb: 'get', apiGroup: 'apps', resource: 'statefulsets/scale', why: 'scale statefulset/x: the embedded cluster serves no StatefulSets' },
  { verb: 'patch', apiGroup: 'apps', resource: 'statefulsets/scale', why: 'scale statefulset/x: the embedded cluster serves no StatefulSets' },
  { verb: 'get', apiGroup: 'apps', resource: 'daemonsets', why: 'node-drain reads the DaemonSet of a DaemonSet pod: the embedded cluster serves no DaemonSets' },
  ...['list', 'watch'].flatMap((verb) => [
    { verb, apiGroup: 'apps', resource: 'statefulsets', why: 'the cluster view: the embedded cluster serves no StatefulSets' },
    { verb, apiGroup: 'apps', resource: 'daemonsets', why: 'the cluster view: the embedded cluster serves no DaemonSets' },
  ]),
];

/** The system under test of the run: two small Deployments (fast to start and stop), a budget, an HPA, and crt's namespace. */
const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: Namespace
metadata: {name: crt}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: node:20-slim
          command: [node, -e, "require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"]
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
          resources: {requests: {cpu: 50m}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: demo, labels: {app: api}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: api
          image: node:20-slim
          command: [node, -e, "require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"]
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: demo}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: demo}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
`;

/** One case per fault kind and crt feature, each short; every Kubernetes call goes through crt's own code. */
const PLAN = `
apiVersion: crt/v1
kind: Plan
metadata: {name: rbac-calls}
cluster: {kubeconfig: kubeconfig, namespaces: [demo], journalNamespace: crt}
targets:
  web: {service: demo/web}
defaults:
  load: {target: web, path: /, rate: 10, timeout: 2s}
layers:
  logical:
    - id: POD-KILL
      title: a pod killed, a network cut, a local command
      objective: every namespaced fault, the probes and the cluster view of a namespace
      conditions:
        - {probe: nodes-ready, name: nodes}
        - {probe: deployment-available, name: web-available, namespace: demo, deployment: web}
        - {probe: pods-spread, name: web-spread, namespace: demo, selector: app=web, minNodes: 1}
        - {probe: pdb-exists, name: web-pdb, namespace: demo, deployment: web}
        - {probe: hpa, name: web-hpa, namespace: demo, workload: web, minReplicas: 3}
      load: {duration: 3s}
      trigger:
        - {at: 0s, name: kill, fault: pod-kill, namespace: demo, selector: app=web, count: 1, gracePeriodSeconds: 0}
        - {at: 0s, name: cut, fault: network-cut, namespace: demo, selector: app=api, verify: false, revertAfter: 1s}
        - {at: 0s, name: local, fault: exec, command: "true", revertCommand: "true"}
    - id: SCALE
      title: a deployment and its autoscaler scaled, another rolled out
      objective: the scale and rollout faults and their reverts
      load: {duration: 2s}
      trigger:
        - {at: 0s, name: hpa-bounds, fault: scale, namespace: demo, workload: hpa/web, minReplicas: 3, maxReplicas: 4}
        - {at: 0s, name: api-replicas, fault: scale, namespace: demo, workload: deployment/api, replicas: 2}
    - id: ROLLOUT
      title: api rolled out with a new variable
      objective: the rollout fault and its undo
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: env, fault: rollout, namespace: demo, deployment: api, action: env, env: {CRT_RBAC: "1"}, timeout: 30s}
    - id: DRAIN
      title: the node of api drained
      objective: cordon, evictions through the budget, uncordon
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: drain, fault: node-drain, nodeOf: {namespace: demo, selector: app=api}, timeout: 30s}
    - id: NODE-LOSS
      title: a node of web lost (taint)
      objective: the taint provider and its measurement
      load: {duration: 1s}
      trigger:
        - {at: 0s, name: loss, fault: node-loss, provider: taint, nodeOf: {namespace: demo, selector: app=web}, count: 1, timeout: 10s}
    - id: DIST-JOB
      title: distributed load from a Job of crt workers
      objective: the workers' Job, pods and logs in crt's namespace
      load: {duration: 1s, distributed: {generators: 1, on: cluster, namespace: crt}}
    - id: DIST-K6
      title: distributed load through k6-operator
      objective: the script ConfigMap and the TestRun (refused here, no CRD)
      load: {engine: k6, connections: 1, duration: 1s, distributed: {generators: 1, on: cluster, via: k6-operator, namespace: crt}}
`;

describe('deploy/k8s/rbac.yaml against the API calls crt makes', function () {
  this.timeout(120_000);
  let tmp: TestCluster['tmp'];
  let cluster: LocalCluster;
  let test: TestCluster | undefined;
  const calls: AuditRecord[] = [];

  before(async () => {
    test = await startTestCluster({
      nodes: 3, audit: (r) => calls.push(r),
      heartbeatMs: 500, nodeMonitorGracePeriodMs: 2000, nodeMonitorPeriodMs: 500, defaultTolerationSeconds: 2,
    });
    ({ cluster, tmp } = test);
    await writeFile(path.join(tmp.dir, 'manifest.yaml'), MANIFEST);
    await cluster.applyFiles([path.join(tmp.dir, 'manifest.yaml')]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 30_000 });
    await writeFile(path.join(tmp.dir, 'plan.yaml'), PLAN);
    // the journal of an earlier night, fully reverted and past its expiry: crt revert deletes it
    await kubeClients({ kubeconfig: path.join(tmp.dir, 'kubeconfig') }).core.createNamespacedConfigMap({ namespace: 'crt', body: {
      metadata: { name: 'crt-journal-nightly-0', labels: { 'crt.io/journal': 'true', 'crt.io/journal-done': 'true' }, annotations: { 'crt.io/run-id': 'nightly-0', 'crt.io/expires-at': '2026-01-01T00:00:00.000Z' } },
      data: { 'journal.jsonl': '' },
    } });
    // what the CronJob runs: first revert what an earlier night left, then the run compared with the last good one
    const revert = await crt(['revert', '--all', '--plan', 'plan.yaml'], { cwd: tmp.dir, timeoutMs: 30_000 });
    expect(revert.code, revert.stderr).to.equal(0);
    expect(revert.stderr).to.include('deleted 1 journal ConfigMap(s) of fully reverted runs past their expiry: crt/crt-journal-nightly-0');
    // --dry-run resolves every fault against the cluster, reading only
    const dry = await crt(['run', 'plan.yaml', '--dry-run'], { cwd: tmp.dir, timeoutMs: 30_000 });
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout + dry.stderr).to.match(/drain node-\d/);
    const run = await crt(['run', 'plan.yaml', '--run-id', 'nightly-1', '--baseline', 'last-good'], { cwd: tmp.dir, timeoutMs: 100_000 });
    // the k6-operator case cannot pass without the CRD: exit 1, everything else ran
    expect(run.code, run.stderr).to.equal(1);
  });

  after(async () => {
    await test?.stop();
  });

  it('ran every case as planned, so that each kind of call was made', async () => {
    const result = JSON.parse(await readFile(path.join(tmp.dir, 'reports/nightly-1/run.json'), 'utf8')) as RunResult;
    const verdicts = Object.fromEntries(result.cases.map((c) => [c.id, c.verdict === 'passed' ? c.verdict : `${c.verdict}: ${c.reason ?? ''}`]));
    // without the k6-operator CRD the TestRun is refused (after its ConfigMap was created): that case cannot pass
    expect(verdicts['DIST-K6']).to.match(/cannot create the k6-operator TestRun crt\//);
    delete verdicts['DIST-K6'];
    expect(verdicts).to.deep.equal({ 'POD-KILL': 'passed', SCALE: 'passed', ROLLOUT: 'passed', DRAIN: 'passed', 'NODE-LOSS': 'passed', 'DIST-JOB': 'passed' });
    for (const c of result.cases) {
      for (const e of c.events.filter((x) => x.kind === 'inject' || x.kind === 'revert')) expect(e.ok, `${c.id} ${e.kind} ${e.name}: ${e.detail}`).to.equal(true);
      for (const e of c.events.filter((x) => x.kind === 'condition')) expect(e.ok, `${c.id} condition ${e.name}: ${e.detail}`).to.equal(true);
    }
    expect(result.revertFailures).to.deep.equal([]);
  });

  it('allows every API request crt made', () => {
    const grants = [...grantsOf(readObjects([RBAC]), SERVICE_ACCOUNT), ...BOOTSTRAP_GRANTS];
    // one line per permission missing, with one request that needed it
    const denied = new Map<string, string>();
    for (const c of calls.filter((x) => !grants.some((g) => grantAllows(g, x)))) denied.set(describeRequest(c), `${describeRequest(c)} (e.g. ${c.method} ${c.path}, answered ${c.code})`);
    const lines = [...denied.values()].sort();
    expect(lines, `requests deploy/k8s/rbac.yaml does not allow to ServiceAccount crt/crt (add them, with the feature that needs them):\n  ${lines.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('grants no permission that no request used (exceptions: what the embedded cluster cannot serve)', () => {
    const grants = grantsOf(readObjects([RBAC]), SERVICE_ACCOUNT);
    const unused = grants.flatMap(permissions)
      .filter((p) => !calls.some((c) => usesPermission(p, c)))
      .filter((p) => !UNRECORDABLE.some((u) => u.verb === p.verb && u.apiGroup === p.apiGroup && u.resource === p.resource));
    expect(unused.map((p) => p.text), `permissions of deploy/k8s/rbac.yaml that crt never used (remove them, or say why they cannot be recorded):\n  ${unused.map((p) => p.text).join('\n  ')}\n`).to.deep.equal([]);
  });

  it('lists as unrecordable only permissions the rules grant and the embedded cluster does not serve', () => {
    const granted = grantsOf(readObjects([RBAC]), SERVICE_ACCOUNT).flatMap(permissions);
    for (const u of UNRECORDABLE) {
      expect(granted.some((p) => p.verb === u.verb && p.apiGroup === u.apiGroup && p.resource === u.resource), `${u.verb} ${u.resource} is granted`).to.equal(true);
      const [plural] = u.resource.split('/') as [string];
      expect(cluster.store.registry.find(u.apiGroup, plural), `${u.why}: the embedded cluster serves ${u.apiGroup}/${plural} now; drop it from UNRECORDABLE`).to.equal(undefined);
    }
  });
});
