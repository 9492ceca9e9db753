import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { type LocalCluster, demoManifestPath } from '../../../src/localcluster/index.js';
import { readManifests } from '../../../src/localcluster/store/manifests.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { settle } from '../../helpers/manual-clock.js';
import { until } from '../../helpers/until.js';

const CLIENT_TIMEOUT_MS = 1000;
const POLICIES = 'networking.k8s.io/v1';

type Outcome = number | 'timeout' | 'error';

/**
 * One GET to `ip:port` dialled from `from` (a pod IP: the gate sees that pod, as when the pod's own
 * process dials; none: this process, outside the cluster), with a 1 s timeout.
 */
function get(ip: string, port: number, from?: string, urlPath = '/healthz'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path: urlPath, agent: false, ...(from ? { localAddress: from } : {}), signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', (err) => resolve(err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timeout' : 'error'));
  });
}

/** An HTTP/1.1 keep-alive connection to `ip:port` from `from` that has had one answer; `closed` resolves with the time it closed. */
async function keepAlive(ip: string, port: number, from: string): Promise<{ socket: net.Socket; closed: Promise<number>; text: () => string }> {
  const socket = net.connect({ host: ip, port, localAddress: from });
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.write('GET /healthz HTTP/1.1\r\nHost: pod\r\n\r\n');
  await until('an answer on the connection', () => /^HTTP\/1\.1 200/.test(text), 5000);
  return { socket, closed, text: () => text };
}

const closedWithin = (closed: Promise<number>, ms: number): Promise<number> => Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), ms))]);

function policy(name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: POLICIES, kind: 'NetworkPolicy', metadata: { name, namespace: 'demo' }, spec };
}

/** The pod IPs of the running pods of one demo app. */
/** Connections each demo pod's gate accepted so far, by pod uid. */
function gateConnections(cluster: LocalCluster): Map<string, number> {
  return new Map(cluster.store.snapshot('pods', 'demo').filter((p) => !p.metadata.deletionTimestamp).map((p) => [
    p.metadata.uid as string,
    (cluster.node(p.spec.nodeName)?.podGate(p.metadata.uid as string)?.proxies() ?? []).reduce((n, proxy) => n + proxy.stats().totalConnections, 0),
  ]));
}

function podIPs(cluster: LocalCluster, app: string): string[] {
  return cluster.store.snapshot('pods', 'demo').filter((p) => p.metadata.labels?.app === app && p.status?.podIP && !p.metadata.deletionTimestamp).map((p) => p.status.podIP as string);
}

/**
 * Per-pod ingress gates: the demo pods listen on their private address ($HOST) and a gate on the pod
 * IP applies NetworkPolicy to direct pod-IP traffic. A pod's traffic is made by dialling from its pod
 * IP, which is all the gate knows of a caller, as a CNI knows the packet's source address.
 */
describe('NetworkPolicy on direct pod-IP traffic (per-pod ingress gates)', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster | undefined;
  let customer: string;
  let gateway: string;
  let store: string;

  before(async () => {
    // cni reset: a policy resets the connections it denies (the default, keep, is tested below)
    test = await startTestCluster({ nodes: 2, cni: 'reset' });
    ({ cluster } = test);
    await cluster.applyFiles([demoManifestPath]);
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 45_000 });
    [customer] = podIPs(cluster, 'customer-service') as [string];
    [gateway] = podIPs(cluster, 'gateway') as [string];
    [store] = podIPs(cluster, 'store') as [string];
  });

  afterEach(async () => {
    for (const np of cluster.store.snapshot('networking.k8s.io/networkpolicies', 'demo')) cluster.store.delete('networking.k8s.io/networkpolicies', 'demo', np.metadata.name!);
    await until('direct connections answer again', async () => (await get(customer, 8080, gateway)) === 200, 5000);
  });

  after(async () => {
    await test?.stop();
  });

  it('keeps POD_IP and status.podIP the pod IP and listens on the private address behind the gate', async () => {
    const pod = cluster.store.snapshot('pods', 'demo').find((p) => p.status?.podIP === customer)!;
    const gate = cluster.nodes.map((n) => n.podGate(pod.metadata.uid!)).find((g) => g !== undefined)!;
    expect(gate.podIP).to.equal(customer);
    expect(gate.bindIP).to.match(/^127\.11\.\d+\.\d+$/).and.equal(customer.replace(/^127\.10\./, '127.11.'));
    expect(gate.ports()).to.deep.equal([8080]);
    const endpoints: any = cluster.store.peek('endpoints', 'demo', 'customer-service');
    expect(endpoints.subsets[0].addresses.map((a: any) => a.ip)).to.include(customer);
    expect([await get(customer, 8080, gateway), await get(gate.bindIP, 8080)]).to.deep.equal([200, 200]);
  });

  it('sends Service traffic from the Service proxy straight to the private address, not through the gate', async () => {
    const pod = cluster.store.snapshot('pods', 'demo').find((p) => p.status?.podIP === store)!;
    const gate = cluster.nodes.map((n) => n.podGate(pod.metadata.uid!)).find((g) => g !== undefined)!;
    const gated = (): number => gate.proxies().reduce((sum, p) => sum + p.stats().totalConnections, 0);
    const svc = (await cluster.serviceAddress('demo', 'store'))!;
    const before = gated();
    expect([await get(svc.host, svc.port, gateway), await get(svc.host, svc.port)]).to.deep.equal([200, 200]);
    expect(gated()).to.equal(before);
    expect(await get(store, 8080, gateway)).to.equal(200);
    expect(gated()).to.equal(before + 1);
  });

  it('drops direct connections from the gateway pod within 1 s of a deny-all ingress policy on customer-service, and lets them through once it is gone', async () => {
    expect(await get(customer, 8080, gateway)).to.equal(200);
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-customer-service', { podSelector: { matchLabels: { app: 'customer-service' } } }));
    const started = Date.now();
    expect(await get(customer, 8080, gateway)).to.equal('timeout');
    expect(Date.now() - started).to.be.below(CLIENT_TIMEOUT_MS + 200);
    cluster.store.delete('networking.k8s.io/networkpolicies', 'demo', 'deny-customer-service');
    expect(await get(customer, 8080, gateway)).to.equal(200);
  });

  it('makes a real gateway pod that calls a customer-service pod IP directly answer 504 under a deny-all ingress policy, and 200 once it is gone', async () => {
    // a second gateway whose upstream is the customer-service pod IP itself, not the Service
    cluster.store.create('pods', 'demo', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'direct-gateway', namespace: 'demo', labels: { app: 'direct-gateway' } },
      spec: { containers: [{ name: 'gateway', image: 'crt.io/demo:1.0', args: ['gateway'], ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'CUSTOMER_SERVICE_URL', value: `http://${customer}:8080` }, { name: 'UPSTREAM_TIMEOUT_MS', value: '800' }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 } }] },
    });
    try {
      const ip = await until('the direct gateway is Ready', () => {
        const pod = cluster.store.peek('pods', 'demo', 'direct-gateway');
        return pod?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' && (pod.status.podIP as string);
      }, 20_000);
      expect(await get(ip, 8080, undefined, '/customers/7')).to.equal(200);
      cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-customer-service', { podSelector: { matchLabels: { app: 'customer-service' } } }));
      const started = Date.now();
      expect(await get(ip, 8080, undefined, '/customers/7')).to.equal(504);
      expect(Date.now() - started).to.be.below(CLIENT_TIMEOUT_MS);
      cluster.store.delete('networking.k8s.io/networkpolicies', 'demo', 'deny-customer-service');
      await until('a 200 once the policy is gone', async () => (await get(ip, 8080, undefined, '/customers/7')) === 200, 5000);
    } finally {
      cluster.store.delete('pods', 'demo', 'direct-gateway', { gracePeriodSeconds: 0 });
    }
  });

  it('admits direct connections only from the pods the policy selects', async () => {
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('from-gateway', {
      podSelector: { matchLabels: { app: 'customer-service' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gateway' } } }], ports: [{ port: 'http' }] }],
    }));
    expect([await get(customer, 8080, gateway), await get(customer, 8080, store)]).to.deep.equal([200, 'timeout']);
  });

  it('applies the caller pod egress policy to direct connections too', async () => {
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('store-no-egress', { podSelector: { matchLabels: { app: 'store' } }, policyTypes: ['Egress'] }));
    expect([await get(customer, 8080, store), await get(customer, 8080, gateway)]).to.deep.equal(['timeout', 200]);
  });

  it('treats this process, dialling a pod IP from 127.0.0.1, as a source outside the cluster', async () => {
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('only-pods', {
      podSelector: { matchLabels: { app: 'customer-service' } }, ingress: [{ from: [{ ipBlock: { cidr: '127.10.0.0/16' } }] }],
    }));
    expect([await get(customer, 8080), await get(customer, 8080, gateway)]).to.deep.equal(['timeout', 200]);
    cluster.store.delete('networking.k8s.io/networkpolicies', 'demo', 'only-pods');
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('only-outside', {
      podSelector: { matchLabels: { app: 'customer-service' } }, ingress: [{ from: [{ ipBlock: { cidr: '127.0.0.1/32' } }] }],
    }));
    expect([await get(customer, 8080), await get(customer, 8080, gateway)]).to.deep.equal([200, 'timeout']);
  });

  it('keeps the kubelet probes passing under a deny-all ingress policy: the pods stay Ready', async () => {
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-all', { podSelector: {} }));
    const since = Date.now();
    expect(await get(customer, 8080, gateway)).to.equal('timeout');
    // readiness every 1 s with failureThreshold 2: three more probes through every pod's gate (from the
    // node's address, one connection each) would have turned a pod not Ready had the policy blocked them
    const before = gateConnections(cluster);
    await until('three more kubelet probes through every pod gate', () => {
      const now = gateConnections(cluster);
      return [...before].every(([uid, n]) => (now.get(uid) ?? 0) >= n + 3);
    }, 15_000);
    const pods = cluster.store.snapshot('pods', 'demo');
    expect(pods.map((p) => p.status.conditions.find((c: any) => c.type === 'Ready').status)).to.deep.equal(pods.map(() => 'True'));
    const unhealthy = cluster.store.snapshot('events', 'demo').filter((e: any) => e.reason === 'Unhealthy' && Date.parse(e.eventTime ?? e.lastTimestamp) >= since);
    expect(unhealthy.map((e) => e.message)).to.deep.equal([]);
  });

  it('resets an established direct connection once a policy denies it (cni reset)', async () => {
    const conn = await keepAlive(customer, 8080, gateway);
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-customer-service', { podSelector: { matchLabels: { app: 'customer-service' } } }));
    const created = Date.now();
    const closedAt = await closedWithin(conn.closed, 3000);
    conn.socket.destroy();
    expect(closedAt - created).to.be.below(1000);
  });

  it('runs a pod that sets HOST to its pod IP itself without a gate, with a NotGated warning', async () => {
    cluster.store.create('pods', 'demo', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'self-bound', namespace: 'demo', labels: { app: 'self-bound' } },
      spec: { containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'], ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 } }] },
    });
    try {
      const ip = await until('the pod is Ready', () => {
        const pod = cluster.store.peek('pods', 'demo', 'self-bound');
        return pod?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' && (pod.status.podIP as string);
      }, 20_000);
      const warning: any = cluster.store.snapshot('events', 'demo').find((e: any) => e.involvedObject?.name === 'self-bound' && e.reason === 'NotGated');
      expect(warning?.type).to.equal('Warning');
      expect(warning?.message).to.include('sets HOST to the pod IP');
      // not gated: a deny-all policy does not reach its pod IP
      cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-self-bound', { podSelector: { matchLabels: { app: 'self-bound' } } }));
      expect(await get(ip, 8080, gateway)).to.equal(200);
    } finally {
      cluster.store.delete('pods', 'demo', 'self-bound', { gracePeriodSeconds: 0 });
    }
  });
});

describe('Per-pod ingress gates with the default cni profile, keep (the store alone)', function () {
  this.timeout(60_000);
  let cluster: LocalCluster;
  let test: TestCluster | undefined;

  before(async () => {
    test = await startTestCluster({ nodes: 1 });
    ({ cluster } = test);
    const objects = await readManifests(demoManifestPath);
    cluster.apply(objects.filter((o) => o.kind === 'Namespace' || o.metadata.name === 'store'));
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 45_000 });
  });

  after(async () => {
    await test?.stop();
  });

  it('keeps an established direct connection open while dropping new ones', async () => {
    const [ip] = podIPs(cluster, 'store') as [string];
    // any address of 127/8 will do as a caller that is no pod
    const established = await keepAlive(ip, 8080, '127.0.0.2');
    cluster.store.create('networking.k8s.io/networkpolicies', 'demo', policy('deny-store', { podSelector: {} }));
    // the policy engine acts on the store's watch deliveries, queued as microtasks: done once the event loop turns
    await settle();
    expect(await get(ip, 8080, '127.0.0.2')).to.equal('timeout');
    // open and served: a second answer on it, asked after the new connection was dropped
    established.socket.write('GET /healthz HTTP/1.1\r\nHost: pod\r\n\r\n');
    await until('a second answer on the established connection', () => established.text().split('HTTP/1.1 ').length === 3, 5000);
    established.socket.destroy();
  });
});
