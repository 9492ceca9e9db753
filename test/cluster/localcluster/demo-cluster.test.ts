import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);



/**
 * The demo system on a 3-node embedded cluster, driven through kubectl and client-node: one cluster for
 * the whole suite (it takes seconds to start), each test leaving the demo as it found it.
 */
describe('embedded cluster running the demo (kubectl, client-node, real processes)', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kubeconfig: string;
  let core: CoreV1Api;
  let gatewayUrl: string;

  const kubectl = async (...args: string[]): Promise<string> => (await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout;
  const pods = (app: string) => cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
  const readyPods = (app: string) => pods(app).filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));

  before(async () => {
    test = await startTestCluster({ nodes: 3 });
    ({ cluster } = test);
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    await cluster.applyFiles([demoManifestPath]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 60_000 });
    const address = await cluster.serviceAddress('demo', 'gateway');
    gatewayUrl = `http://${address!.host}:${address!.port}`;
  });

  after(async () => {
    await test.stop();
  });

  it('spreads the three gateway replicas over three nodes', () => {
    const nodes = new Set(pods('gateway').map((p) => p.spec.nodeName));
    expect(nodes.size).to.equal(3);
  });

  it('serves a customer read through the gateway Service, answered by several gateway pods', async () => {
    const servedBy = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${gatewayUrl}/customers/${i + 1}`, { headers: { connection: 'close' } });
      expect(res.status).to.equal(200);
      servedBy.add(res.headers.get('x-served-by') ?? '');
      await res.arrayBuffer();
    }
    expect(servedBy.size).to.be.greaterThan(1);
    for (const name of servedBy) expect(name).to.match(/^gateway-/);
  });

  it('lists nodes, pods, deployments and services with kubectl, with the usual columns', async function () {
    requireKubectl(this);
    const out = await kubectl('get', 'nodes,pods,deploy,svc', '-A');
    expect(out).to.match(/NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(out).to.match(/node\/node-1\s+Ready/);
    expect(out).to.match(/demo\s+pod\/gateway-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0/);
    expect(out).to.match(/demo\s+deployment\.apps\/gateway\s+3\/3\s+3\s+3/);
    expect(out).to.match(/demo\s+service\/gateway\s+NodePort\s+127\.20\.\d+\.\d+\s+<none>\s+80:30080\/TCP/);
  });

  it('shows a pod with describe and its logs with kubectl logs', async function () {
    requireKubectl(this);
    const name = pods('store')[0]!.metadata.name!;
    const described = await kubectl('describe', 'pod', name, '-n', 'demo');
    expect(described).to.match(/Node:\s+node-\d/);
    expect(described).to.match(/Scheduled/);
    expect(described).to.match(/Started/);
    const logs = await kubectl('logs', name, '-n', 'demo');
    expect(logs).to.contain('"event":"ready"');
  });

  it('kills the process of a deleted pod and brings a replacement to Ready', async function () {
    requireKubectl(this);
    const victim = pods('gateway')[0]!;
    const pid = Number(String(victim.status.containerStatuses[0].containerID).replace('crt://', ''));
    expect(alive(pid)).to.equal(true);
    await kubectl('delete', 'pod', victim.metadata.name!, '-n', 'demo', '--wait=true');
    expect(alive(pid)).to.equal(false);
    await until('3 ready gateway pods again', () => readyPods('gateway').length === 3 && pods('gateway').every((p) => p.metadata.uid !== victim.metadata.uid));
  });

  it('scales a deployment with kubectl scale, up and back down', async function () {
    requireKubectl(this);
    await kubectl('scale', 'deploy/customer-service', '-n', 'demo', '--replicas=4');
    await until('4 ready customer-service pods', () => readyPods('customer-service').length === 4);
    await kubectl('scale', 'deploy/customer-service', '-n', 'demo', '--replicas=3');
    await until('3 customer-service pods', () => pods('customer-service').length === 3);
  });

  it('rolls the gateway out under continuous requests with zero failures (kubectl rollout restart/status)', async function () {
    requireKubectl(this);
    const stop = new AbortController();
    let ok = 0;
    const failures: string[] = [];
    const loop = (async () => {
      while (!stop.signal.aborted) {
        try {
          const res = await fetch(`${gatewayUrl}/customers/5`);
          await res.arrayBuffer();
          if (res.status === 200) ok++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push(String((err as Error).cause ?? err));
        }
      }
    })();
    const before = new Set(pods('gateway').map((p) => p.metadata.name));
    await kubectl('rollout', 'restart', 'deploy/gateway', '-n', 'demo');
    const status = await kubectl('rollout', 'status', 'deploy/gateway', '-n', 'demo', '--timeout=60s');
    stop.abort();
    await loop;
    expect(status).to.contain('successfully rolled out');
    expect(pods('gateway').some((p) => before.has(p.metadata.name))).to.equal(false);
    expect(failures, `${failures.length} failures of ${ok + failures.length}`).to.deep.equal([]);
    expect(ok).to.be.greaterThan(50);
  });

  it('undoes a rollout to the previous revision with kubectl rollout undo', async function () {
    requireKubectl(this);
    await kubectl('set', 'image', 'deploy/store', 'store=crt.io/demo:1.1', '-n', 'demo');
    await kubectl('rollout', 'status', 'deploy/store', '-n', 'demo', '--timeout=60s');
    await kubectl('rollout', 'undo', 'deploy/store', '-n', 'demo');
    await kubectl('rollout', 'status', 'deploy/store', '-n', 'demo', '--timeout=60s');
    const image = (await kubectl('get', 'deploy/store', '-n', 'demo', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).trim();
    expect(image).to.equal('crt.io/demo:1.0');
  });

  it('records events that kubectl get events shows', async function () {
    requireKubectl(this);
    const out = await kubectl('get', 'events', '-n', 'demo');
    expect(out).to.match(/Scheduled\s+pod\/gateway-/);
    expect(out).to.match(/ScalingReplicaSet\s+deployment\/gateway/);
  });

  it('reports an image it cannot run as ErrImagePull / ImagePullBackOff, with an event', async function () {
    requireKubectl(this);
    await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'nginx' }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } } });
    // ContainerCreating first, for the pod start delay, as on a real node
    const reason = await until('a waiting reason other than ContainerCreating', () => {
      const p = cluster.store.peek('pods', 'demo', 'nginx');
      const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting?.reason as string | undefined;
      return waiting !== 'ContainerCreating' && waiting;
    });
    expect(reason).to.be.oneOf(['ErrImagePull', 'ImagePullBackOff']);
    const events = await kubectl('get', 'events', '-n', 'demo', '--field-selector', 'involvedObject.name=nginx');
    expect(events).to.match(/Failed/);
    await kubectl('delete', 'pod', 'nginx', '-n', 'demo', '--wait=true');
  });
});
