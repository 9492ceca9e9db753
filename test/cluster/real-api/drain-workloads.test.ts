import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { CaseResult, RunResult } from '../../../src/results/types.js';
import { crt } from '../../helpers/cli.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { until } from '../../helpers/until.js';
import { podReady, startRealApi, type RealApi } from './fixture.js';

const SERVER = `command: [node, -e, "require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"]`;
const podSpec = (name: string) => `      terminationGracePeriodSeconds: 1
      containers:
        - name: ${name}
          image: node:20-slim
          ${SERVER}
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}`;

/** A StatefulSet (2, with its headless Service), a DaemonSet (one pod per node) and a Deployment with a Service for the load. */
const WORKLOADS = manifests(
  namespace('demo'),
  okDeployment({ name: 'web', namespace: 'demo', replicas: 2 }), okService('web', 'demo'),
  `apiVersion: v1
kind: Service
metadata: {name: db, namespace: demo}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 8080}]}
`,
  `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: demo}
spec:
  serviceName: db
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
${podSpec('db')}
`,
  `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: demo}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
${podSpec('agent')}
`,
);

/** A pod no controller owns, on the node of db-0. */
const barePod = (node: string) => `apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: demo, labels: {app: lonely}}
spec:
  nodeName: ${node}
${podSpec('lonely').replace(/^ {4}/gm, '')}
`;

const PLAN = `
apiVersion: crt/v1
kind: Plan
metadata: {name: drain-workloads}
cluster: {kubeconfig: admin.kubeconfig, namespaces: [demo]}
targets:
  web: {service: demo/web}
layers:
  logical:
    - id: REFUSED
      title: drains kubectl would refuse
      objective: a bare pod without force, DaemonSet pods without ignoreDaemonSets
      trigger:
        - {at: 0s, name: no-force, fault: node-drain, nodeOf: {namespace: demo, selector: app=lonely}, ignoreDaemonSets: true, timeout: 30s}
        - {at: 0s, name: no-ignore, fault: node-drain, nodeOf: {namespace: demo, selector: app=lonely}, force: true, timeout: 30s}
    - id: KILL-DB
      title: a StatefulSet pod killed
      objective: its replacement, of the same name, is seen
      trigger:
        - {at: 0s, name: kill, fault: pod-kill, namespace: demo, selector: statefulset.kubernetes.io/pod-name=db-0, count: 1}
    - id: DRAIN
      title: the node of the bare pod drained with force
      objective: kubectl drain --force --ignore-daemonsets semantics, the StatefulSet counted by the cluster view
      load: {target: web, path: /, rate: 10, duration: 8s, timeout: 2s}
      trigger:
        - {at: 1s, name: drain, fault: node-drain, nodeOf: {namespace: demo, selector: app=lonely}, force: true, ignoreDaemonSets: true, timeout: 40s}
`;

interface DrainData { nodes: string[]; evicted: string[]; warnings: string[] }

describe('node-drain, pod-kill and the cluster view with a StatefulSet, a DaemonSet and a bare pod on the real API', function () {
  this.timeout(300_000);
  let api: RealApi;
  let result: RunResult;
  let drained: string;
  let agentOnDrained: { name: string; uid: string };
  const t: Record<string, number | string> = {};
  const byId = (id: string): CaseResult => result.cases.find((c) => c.id === id)!;

  before(async function () {
    api = await startRealApi(this, { nodes: 2 });
    t.startMs = api.startMs;
    await api.apply(WORKLOADS);
    await api.cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 90_000 });
    const pods = async (sel: string) => (await api.kube.core.listNamespacedPod({ namespace: 'demo', labelSelector: sel })).items;
    await until('db and agent Ready', async () => (await pods('app=db')).filter(podReady).length === 2 && (await pods('app=agent')).filter(podReady).length === 2, 90_000, 250);
    drained = (await pods('app=db')).find((p) => p.metadata!.name === 'db-0')!.spec!.nodeName!;
    await api.apply(barePod(drained));
    await until('the bare pod Ready', async () => (await pods('app=lonely')).some(podReady), 60_000, 250);
    const agent = (await pods('app=agent')).find((p) => p.spec?.nodeName === drained)!;
    agentOnDrained = { name: agent.metadata!.name!, uid: agent.metadata!.uid! };
    await writeFile(path.join(api.dir, 'admin.kubeconfig'), await readFile(api.cluster.kubeconfig, 'utf8'));
    await writeFile(path.join(api.dir, 'plan.yaml'), PLAN);
    const t0 = Date.now();
    const r = await crt(['run', 'plan.yaml', '--run-id', 'drain-1'], { cwd: api.dir, timeoutMs: 200_000 });
    t.runMs = Date.now() - t0;
    // REFUSED fails by design (both drains refused): exit 1
    expect(r.code, r.stderr).to.equal(1);
    result = JSON.parse(await readFile(path.join(api.dir, 'reports/drain-1/run.json'), 'utf8')) as RunResult;
    for (const c of result.cases) t[`case${c.id}Ms`] = Date.parse(c.endedAt) - Date.parse(c.startedAt);
  });

  after(async () => {
    process.stdout.write(`      figures: ${JSON.stringify(t)}\n`);
    await api?.stop();
  });

  it('refuses, as kubectl drain does, a bare pod without force and DaemonSet pods without ignoreDaemonSets, before cordoning', () => {
    const injects = byId('REFUSED').events.filter((e) => e.kind === 'inject');
    const detail = (name: string) => injects.find((e) => e.name === name);
    expect(detail('no-force')?.ok).to.equal(false);
    expect(detail('no-force')!.detail).to.include(`cannot drain ${drained}: cannot delete Pods that declare no controller (set force: true to override): demo/lonely`);
    expect(detail('no-ignore')?.ok).to.equal(false);
    expect(detail('no-ignore')!.detail).to.include(`cannot drain ${drained}: cannot delete DaemonSet-managed Pods (set ignoreDaemonSets: true to ignore): demo/${agentOnDrained.name}`);
    // refused before the cordon: the reverts of their journal entries find nothing to undo
    expect(byId('REFUSED').events.filter((e) => e.kind === 'revert').map((e) => e.detail)).to.deep.equal([`${drained} already schedulable: nothing to undo`, `${drained} already schedulable: nothing to undo`]);
  });

  it('pod-kill sees the StatefulSet\'s replacement, of the same name and a new UID', () => {
    const inject = byId('KILL-DB').events.find((e) => e.kind === 'inject')!;
    expect(inject.ok, inject.detail).to.equal(true);
    const data = inject.data as { killed: Array<{ pod: string }>; replacements: string[]; replacementsReadyAfterMs: number | null };
    expect(data.killed.map((k) => k.pod)).to.deep.equal(['db-0']);
    expect(data.replacements).to.deep.equal(['db-0']);
    expect(data.replacementsReadyAfterMs).to.be.a('number');
    t.stsReplacementReadyMs = data.replacementsReadyAfterMs!;
  });

  it('drains with force: evicts the StatefulSet pods and the bare pod, leaves the DaemonSet pod, and the StatefulSet pods come back with their names', async () => {
    const c = byId('DRAIN');
    const inject = c.events.find((e) => e.kind === 'inject')!;
    expect(inject.ok, inject.detail).to.equal(true);
    const data = inject.data as unknown as DrainData;
    expect(data.nodes).to.deep.equal([drained]);
    expect(data.evicted).to.include('demo/lonely');
    // the scheduler spreads the StatefulSet: one of its pods is on the drained node
    expect(data.evicted.filter((p) => /^demo\/db-\d$/.test(p))).to.have.length.above(0);
    expect(data.evicted.filter((p) => p.startsWith('demo/agent-'))).to.deep.equal([]);
    expect(data.warnings).to.deep.equal([`ignoring DaemonSet-managed Pods: demo/${agentOnDrained.name}`, 'deleting Pods that declare no controller: demo/lonely']);
    t.evicted = data.evicted.length;
    t.drainMs = (inject.data as { durationMs: number }).durationMs;
    expect(c.verdict, c.reason).to.equal('passed');
    expect(c.events.find((e) => e.kind === 'revert')?.detail).to.equal(`uncordoned ${drained}`);
    const pods = (await api.kube.core.listNamespacedPod({ namespace: 'demo' })).items;
    // the bare pod is gone for good; the DaemonSet pod never moved
    expect(pods.some((p) => p.metadata?.name === 'lonely')).to.equal(false);
    expect(pods.find((p) => p.metadata?.name === agentOnDrained.name)?.metadata?.uid).to.equal(agentOnDrained.uid);
    expect(pods.filter((p) => p.metadata?.labels?.app === 'db').map((p) => p.metadata!.name).sort()).to.deep.equal(['db-0', 'db-1']);
  });

  it('the cluster view counts the StatefulSet and the DaemonSet: the drain affected the StatefulSet and it recovered', async () => {
    const recovery = byId('DRAIN').recovery?.cluster;
    expect(recovery, 'cluster recovery').not.to.equal(undefined);
    expect(recovery!.affected).to.include('statefulset/demo/db');
    expect(recovery!.affected).not.to.include('daemonset/demo/agent');
    expect(recovery!.recoveryTimeMs).to.be.a('number');
    t.clusterRecoveryMs = recovery!.recoveryTimeMs!;
    const samples = (await readFile(path.join(api.dir, 'reports/drain-1/cluster.jsonl'), 'utf8')).trim().split('\n')
      .map((l) => JSON.parse(l) as { case: string; subject: string; desired: number; ready: number })
      .filter((s) => s.case === 'DRAIN');
    const db = samples.filter((s) => s.subject === 'statefulset/demo/db');
    expect(db.some((s) => s.ready < 2)).to.equal(true);
    expect(db.at(-1)).to.include({ desired: 2, ready: 2 });
    t.dbSamples = db.map((s) => `${s.ready}/${s.desired}`).join(' ');
    const agent = samples.filter((s) => s.subject === 'daemonset/demo/agent');
    expect(agent.at(-1)).to.include({ desired: 2, ready: 2 });
  });
});
