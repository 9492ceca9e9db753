import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { until } from '../../helpers/until.js';
import { startRealApi, type RealApi } from './fixture.js';

/** A container that prints a numbered line every 200 ms. */
const TALKER = `node -e "let i = 0; setInterval(() => console.log('line ' + i++), 200); require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"`;

const APPLIED = (replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: applied, namespace: k, labels: {app: applied}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: applied}}
  template:
    metadata: {labels: {app: applied}${extra}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: applied
          image: node:20-slim
          command: [node, -e, "require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`;

describe('kubectl of the same release against the embedded cluster on the real control plane', function () {
  this.timeout(240_000);
  let api: RealApi;
  const t: Record<string, number | string> = {};
  const k = (args: string[], input?: string) => api.kubectl(['-n', 'k', ...args], input === undefined ? {} : { input });
  const kTry = (args: string[]) => api.kubectlTry(['-n', 'k', ...args]);

  before(async function () {
    api = await startRealApi(this, { nodes: 2, metricsResolutionMs: 2000 });
    t.startMs = api.startMs;
    t.version = (await api.kubectl(['version', '-o', 'json'])).stdout.match(/"gitVersion": "([^"]+)"/)?.[1] ?? '?';
    await api.kubectl(['create', 'namespace', 'k']);
  });

  after(async () => {
    process.stdout.write(`      figures: ${JSON.stringify(t)}\n`);
    await api?.stop();
  });

  it('create configmap, secret and deployment (typed), then wait for the deployment to be Available', async () => {
    expect((await k(['create', 'configmap', 'settings', '--from-literal=mode=fast'])).stdout.trim()).to.equal('configmap/settings created');
    expect((await k(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret'])).stdout.trim()).to.equal('secret/creds created');
    expect((await k(['create', 'deployment', 'talker', '--image=node:20-slim', '--port=8080', '--', 'sh', '-c', TALKER])).stdout.trim()).to.equal('deployment.apps/talker created');
    const t0 = Date.now();
    const waited = await k(['wait', '--for=condition=Available', 'deployment/talker', '--timeout=60s']);
    t.createToAvailableMs = Date.now() - t0;
    expect(waited.stdout.trim()).to.equal('deployment.apps/talker condition met');
    expect((await k(['get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}'])).stdout).to.equal('fast');
    expect(Buffer.from((await k(['get', 'secret', 'creds', '-o', 'jsonpath={.data.password}'])).stdout, 'base64').toString()).to.equal('s3cret');
  });

  it('get (wide, json, jsonpath) and describe show what the real API server and crt\'s kubelets report', async () => {
    const wide = (await k(['get', 'pods', '-l', 'app=talker', '-o', 'wide'])).stdout;
    expect(wide).to.match(/talker-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running\s+0\s+\S+\s+198\.18\.1(28|29)\.\d+\s+node-[12]/);
    const nodes = (await api.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}'])).stdout.trim();
    expect(nodes).to.equal('node-1=True node-2=True');
    const pod = (await k(['get', 'pods', '-l', 'app=talker', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const described = (await k(['describe', 'pod', pod])).stdout;
    for (const want of [/Status:\s+Running/, /IP:\s+198\.18\./, /Controlled By:\s+ReplicaSet\/talker-/, /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned k\//, /Normal\s+Started/]) expect(described).to.match(want);
    const node = (await api.kubectl(['describe', 'node', 'node-1'])).stdout;
    expect(node).to.match(/PodCIDR:\s+198\.18\.12[89]\.0\/24/);
    expect(node).to.match(/Ready\s+True/);
  });

  it('logs, logs --tail and logs -f (followed for a bounded time, new lines arrive)', async () => {
    const pod = (await k(['get', 'pods', '-l', 'app=talker', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    await until('a few lines logged', async () => (await k(['logs', pod])).stdout.split('\n').filter(Boolean).length >= 3, 20_000, 200);
    expect((await k(['logs', 'deployment/talker'])).stdout).to.match(/^line 0\nline 1\n/);
    expect((await k(['logs', pod, '--tail=2'])).stdout.trim().split('\n')).to.have.length(2);
    // -f: the stream stays open and delivers lines written after it started
    const child = spawn(path.join(api.bin, 'kubectl'), ['--kubeconfig', api.cluster.kubeconfig, '-n', 'k', 'logs', '-f', '--tail=1', pod], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    try {
      await until('five lines followed', () => out.split('\n').filter(Boolean).length >= 5, 15_000, 50);
    } finally {
      child.kill('SIGTERM');
    }
    t.follow5LinesMs = Date.now() - t0;
    const numbers = out.split('\n').filter(Boolean).map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
    expect(numbers.slice(0, 5).every((n, i) => i === 0 || n === numbers[i - 1]! + 1), out).to.equal(true);
  });

  it('apply client-side, then --server-side over it (field manager kubectl); another manager\'s apply is a conflict; a server-side dry run changes nothing', async () => {
    expect((await k(['apply', '-f', '-'], APPLIED(1))).stdout.trim()).to.equal('deployment.apps/applied created');
    expect((await k(['apply', '-f', '-'], APPLIED(1))).stdout.trim()).to.equal('deployment.apps/applied unchanged');
    expect((await k(['apply', '--server-side', '-f', '-'], APPLIED(2))).stdout.trim()).to.equal('deployment.apps/applied serverside-applied');
    const managed = JSON.parse((await k(['get', 'deployment', 'applied', '-o', 'json', '--show-managed-fields'])).stdout) as { spec: { replicas: number }; metadata: { managedFields: Array<{ manager: string; operation: string }> } };
    expect(managed.spec.replicas).to.equal(2);
    expect(managed.metadata.managedFields.some((f) => f.manager === 'kubectl' && f.operation === 'Apply')).to.equal(true);
    // another manager taking the field: a real conflict, as server-side apply reports it
    const conflict = await api.kubectlTry(['-n', 'k', 'apply', '--server-side', '--field-manager=other', '-f', '-'], { input: APPLIED(3) });
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.match(/Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    const dry = await k(['apply', '--server-side', '--dry-run=server', '-f', '-'], APPLIED(5));
    expect(dry.stdout.trim()).to.equal('deployment.apps/applied serverside-applied (server dry run)');
    expect((await k(['get', 'deployment', 'applied', '-o', 'jsonpath={.spec.replicas}'])).stdout).to.equal('2');
    await k(['wait', '--for=condition=Available', 'deployment/applied', '--timeout=60s']);
  });

  it('scale, rollout restart, status, history and undo', async () => {
    expect((await k(['scale', 'deployment/talker', '--replicas=2'])).stdout.trim()).to.equal('deployment.apps/talker scaled');
    await k(['wait', '--for=jsonpath={.status.readyReplicas}=2', 'deployment/talker', '--timeout=60s']);
    expect((await k(['rollout', 'restart', 'deployment/talker'])).stdout.trim()).to.equal('deployment.apps/talker restarted');
    const t0 = Date.now();
    const status = await k(['rollout', 'status', 'deployment/talker', '--timeout=90s']);
    t.rolloutRestart2PodsMs = Date.now() - t0;
    expect(status.stdout).to.include('deployment "talker" successfully rolled out');
    const history = (await k(['rollout', 'history', 'deployment/talker'])).stdout;
    expect(history).to.match(/^1\s/m).and.to.match(/^2\s/m);
    expect((await k(['rollout', 'undo', 'deployment/talker'])).stdout.trim()).to.equal('deployment.apps/talker rolled back');
    await k(['rollout', 'status', 'deployment/talker', '--timeout=90s']);
    expect((await k(['get', 'deployment', 'talker', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).stdout).to.equal('3');
  });

  it('label, taint, cordon and drain a node; the pods move; uncordon', async () => {
    expect((await api.kubectl(['label', 'node', 'node-2', 'crt.test/role=drained'])).stdout.trim()).to.equal('node/node-2 labeled');
    expect((await api.kubectl(['get', 'nodes', '-l', 'crt.test/role=drained', '-o', 'name'])).stdout.trim()).to.equal('node/node-2');
    expect((await api.kubectl(['taint', 'node', 'node-2', 'crt.test/maintenance=true:NoSchedule'])).stdout.trim()).to.equal('node/node-2 tainted');
    expect((await api.kubectl(['cordon', 'node-2'])).stdout.trim()).to.equal('node/node-2 cordoned');
    const t0 = Date.now();
    const drain = await api.kubectl(['drain', 'node-2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s']);
    t.drainMs = Date.now() - t0;
    expect(drain.stdout).to.include('node/node-2 drained');
    await k(['wait', '--for=jsonpath={.status.readyReplicas}=2', 'deployment/talker', '--timeout=60s']);
    const where = (await k(['get', 'pods', '--field-selector=status.phase=Running', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {end}'])).stdout.trim().split(' ');
    expect(where.every((n) => n === 'node-1'), where.join(',')).to.equal(true);
    expect((await api.kubectl(['uncordon', 'node-2'])).stdout.trim()).to.equal('node/node-2 uncordoned');
    expect((await api.kubectl(['taint', 'node', 'node-2', 'crt.test/maintenance=true:NoSchedule-'])).stdout.trim()).to.equal('node/node-2 untainted');
    expect((await api.kubectl(['label', 'node', 'node-2', 'crt.test/role-'])).stdout.trim()).to.equal('node/node-2 unlabeled');
    expect((await api.kubectl(['get', 'node', 'node-2', '-o', 'jsonpath={.spec.unschedulable}{.spec.taints}'])).stdout).to.equal('');
  });

  it('events lists what the scheduler, the controllers and crt\'s kubelets reported; wait --for=delete ends when the pod is gone', async () => {
    const events = (await k(['events'])).stdout;
    for (const reason of ['Scheduled', 'Pulled', 'Created', 'Started', 'Killing', 'ScalingReplicaSet', 'SuccessfulCreate']) {
      expect(events, reason).to.match(new RegExp(`\\s${reason}\\s`));
    }
    t.events = events.trim().split('\n').length - 1;
    const pod = (await k(['get', 'pods', '-l', 'app=applied', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    await k(['delete', 'pod', pod, '--wait=false']);
    const waited = (await k(['wait', '--for=delete', `pod/${pod}`, '--timeout=60s'])).stdout.trim();
    // kubectl says "condition met" when it saw the pod go, and nothing when it was gone before it looked
    expect(['', `pod/${pod} condition met`]).to.include(waited);
    const gone = await kTry(['get', 'pod', pod]);
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.include('NotFound');
  });

  it('top pods and top nodes read the resource metrics crt\'s metrics-server serves through the aggregation layer', async () => {
    // the first scrape comes within the metric resolution; until then metrics-server answers "not available yet" too
    const pods = await until('the talker pod in kubectl top pods', async () => {
      const r = await kTry(['top', 'pods', '-l', 'app=talker', '--no-headers']);
      return r.code === 0 && /^talker-\S+\s+\d+m\s+\d+Mi\s*$/m.test(r.stdout) ? r.stdout : undefined;
    }, 90_000, 1000);
    expect(pods).to.match(/^talker-/);
    const nodes = (await api.kubectl(['top', 'nodes', '--no-headers'])).stdout.trim().split('\n');
    expect(nodes.map((l) => l.split(/\s+/)[0]).sort()).to.deep.equal(['node-1', 'node-2']);
  });
});
