import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { KubeConfig, NetworkingV1Api, type V1NetworkPolicySpec } from '@kubernetes/client-node';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import { readManifests } from '../../../src/localcluster/store/manifests.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { settle } from '../../helpers/manual-clock.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);
const CLIENT_TIMEOUT_MS = 1000;


/** An HTTP/1.1 keep-alive connection to `host:port` that has had one answer; `closed` resolves with the time it closed. */
async function keepAliveConnection(host: string, port: number): Promise<{ socket: net.Socket; closed: Promise<number>; text: () => string }> {
  const socket = net.connect({ host, port });
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.write('GET /customers/7 HTTP/1.1\r\nHost: demo\r\n\r\n');
  await until('an answer on the connection', () => /^HTTP\/1\.1 \d{3}/.test(text), 5000);
  return { socket, closed, text: () => text };
}

const closedWithin = (closed: Promise<number>, ms: number): Promise<number> => Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), ms))]);

/**
 * NetworkPolicy on the demo chain gateway → customer-service → store, enforced by the Service proxies:
 * requests go to the gateway Service from this process (outside the cluster) with a 1 s timeout.
 */
describe('NetworkPolicy enforcement on the embedded cluster (demo chain)', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;
  let kubeconfig: string;
  let netApi: NetworkingV1Api;
  let gatewayUrl: string;

  /** The status of one customer read through the gateway, or 'timeout' when the client gave up. */
  async function request(): Promise<number | 'timeout' | 'error'> {
    try {
      const res = await fetch(`${gatewayUrl}/customers/7`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      return (err as Error).name === 'TimeoutError' ? 'timeout' : 'error';
    }
  }

  async function statuses(n: number): Promise<Array<number | string>> {
    const out: Array<number | string> = [];
    for (let i = 0; i < n; i++) out.push(await request());
    return out;
  }

  async function createPolicy(name: string, spec: V1NetworkPolicySpec): Promise<number> {
    await netApi.createNamespacedNetworkPolicy({ namespace: 'demo', body: { metadata: { name }, spec } });
    return Date.now();
  }

  /** Waits for the first failed request and returns how long after `sinceMs` it started. */
  async function firstFailureAfter(sinceMs: number): Promise<number> {
    while (Date.now() < sinceMs + 10_000) {
      const started = Date.now();
      if ((await request()) !== 200) return started - sinceMs;
    }
    throw new Error('no request failed within 10 s of the policy');
  }

  before(async () => {
    // cni reset: a policy resets the connections it denies (the default, keep, is tested below)
    test = await startTestCluster({ nodes: 2, cni: 'reset' });
    ({ cluster } = test);
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    netApi = kc.makeApiClient(NetworkingV1Api);
    await cluster.applyFiles([demoManifestPath]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 45_000 });
    const address = await cluster.serviceAddress('demo', 'gateway');
    gatewayUrl = `http://${address!.host}:${address!.port}`;
    await until('the chain answers', async () => (await request()) === 200);
  });

  afterEach(async () => {
    for (const np of cluster.store.snapshot('networking.k8s.io/networkpolicies', 'demo')) {
      await netApi.deleteNamespacedNetworkPolicy({ namespace: 'demo', name: np.metadata.name! });
    }
    // held (dropped) upstream connections end with the gateway's 2 s upstream timeout
    await until('the chain answers again', async () => (await request()) === 200, 15_000);
  });

  after(async () => {
    await test.stop();
  });

  it('fails gateway requests once customer-service denies all ingress, and serves them again once the policy is gone', async () => {
    expect(await statuses(3)).to.deep.equal([200, 200, 200]);
    const created = await createPolicy('deny-customer-service', { podSelector: { matchLabels: { app: 'customer-service' } } });
    expect(await firstFailureAfter(created)).to.be.below(1000);
    for (const s of await statuses(3)) expect(s).to.be.oneOf(['timeout', 502, 504]);
    await netApi.deleteNamespacedNetworkPolicy({ namespace: 'demo', name: 'deny-customer-service' });
    await until('a 200 after the delete', async () => (await request()) === 200, 5000);
  });

  it('fails gateway requests once the gateway pods may not send anything (egress deny-all)', async () => {
    const created = await createPolicy('gateway-no-egress', { podSelector: { matchLabels: { app: 'gateway' } }, policyTypes: ['Egress'] });
    expect(await firstFailureAfter(created)).to.be.below(1000);
    for (const s of await statuses(3)) expect(s).to.be.oneOf(['timeout', 502, 504]);
  });

  it('leaves the chain alone when the policy selects other pods', async () => {
    await createPolicy('deny-batch', { podSelector: { matchLabels: { app: 'batch' } } });
    // the policy engine acts on the store's watch deliveries, queued as microtasks: done once the event loop turns
    await settle();
    expect(await statuses(6)).to.deep.equal([200, 200, 200, 200, 200, 200]);
  });

  it('keeps the chain working when customer-service admits only the gateway pods', async () => {
    await createPolicy('customer-service-from-gateway', {
      podSelector: { matchLabels: { app: 'customer-service' } },
      ingress: [{ _from: [{ podSelector: { matchLabels: { app: 'gateway' } } }], ports: [{ port: 'http' }] }],
    });
    // the policy engine acts on the store's watch deliveries, queued as microtasks: done once the event loop turns
    await settle();
    expect(await statuses(6)).to.deep.equal([200, 200, 200, 200, 200, 200]);
  });

  it('drops traffic from outside the cluster on the NodePort too when the gateway admits only pod addresses', async () => {
    const address = (await cluster.serviceAddress('demo', 'gateway'))!;
    await createPolicy('gateway-from-pods', { podSelector: { matchLabels: { app: 'gateway' } }, ingress: [{ _from: [{ ipBlock: { cidr: '127.10.0.0/16' } }] }] });
    // the policy engine acts on the store's watch deliveries, queued as microtasks: done once the event loop turns
    await settle();
    const viaNodePort = await fetch(`http://127.0.0.1:${address.nodePort}/customers/7`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) }).then((r) => r.status, (e: Error) => e.name);
    expect([viaNodePort, await request()]).to.deep.equal(['TimeoutError', 'timeout']);
  });

  it('resets an established keep-alive connection that a new policy denies (cni reset)', async () => {
    const address = (await cluster.serviceAddress('demo', 'customer-service'))!;
    const conn = await keepAliveConnection(address.host, address.port);
    expect(conn.text()).to.match(/^HTTP\/1\.1 200/);
    const created = await createPolicy('deny-customer-service', { podSelector: { matchLabels: { app: 'customer-service' } } });
    const closedAt = await closedWithin(conn.closed, 3000);
    conn.socket.destroy();
    expect(closedAt - created).to.be.below(1000);
  });

  it('lists policies with kubectl get netpol: NAME, POD-SELECTOR, AGE', async function () {
    requireKubectl(this);
    await createPolicy('deny-batch', { podSelector: { matchLabels: { app: 'batch' } } });
    const out = (await exec('kubectl', ['--kubeconfig', kubeconfig, 'get', 'netpol', '-n', 'demo'], { timeout: 30_000 })).stdout;
    const [header, row] = out.trim().split('\n').map((l) => l.split(/\s+/));
    expect(header).to.deep.equal(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(row!.slice(0, 2)).to.deep.equal(['deny-batch', 'app=batch']);
  });

  it('rejects an invalid policy with 422 and the field at fault', async () => {
    const err = await createPolicy('bad', { podSelector: {}, ingress: [{ _from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }] }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).to.equal(422);
    expect(String((err as { body?: string }).body)).to.include('spec.ingress[0].from[0].ipBlock.except[0]');
  });
});

describe('NetworkPolicy with the default cni profile, keep (the store Service alone)', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster;

  before(async () => {
    test = await startTestCluster({ nodes: 1 });
    ({ cluster } = test);
    const objects = await readManifests(demoManifestPath);
    cluster.apply(objects.filter((o) => o.kind === 'Namespace' || o.metadata.name === 'store'));
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 45_000 });
  });

  after(async () => {
    await test.stop();
  });

  it('keeps established connections open while dropping new ones', async () => {
    const address = (await cluster.serviceAddress('demo', 'store'))!;
    const established = await keepAliveConnection(address.host, address.port);
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-store', namespace: 'demo' }, spec: { podSelector: {} },
    });
    // the policy engine acts on the store's watch deliveries, queued as microtasks: done once the event loop turns
    await settle();
    const fresh = net.connect({ host: address.host, port: address.port });
    fresh.on('error', () => undefined);
    fresh.write('GET /customers/7 HTTP/1.1\r\nHost: demo\r\n\r\n');
    let freshText = '';
    fresh.setEncoding('utf8').on('data', (d: string) => (freshText += d));
    // two more answers on the established connection, asked after the fresh one's request: it is open and
    // served, while the fresh one, had it been forwarded, would have had its answer by then
    for (const answers of [3, 4]) {
      established.socket.write('GET /customers/7 HTTP/1.1\r\nHost: demo\r\n\r\n');
      await until(`answer ${answers - 1} on the established connection`, () => established.text().split('HTTP/1.1 ').length === answers, 5000);
    }
    expect(freshText).to.equal('');
    established.socket.destroy();
    fresh.destroy();
  });
});
