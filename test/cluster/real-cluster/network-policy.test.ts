import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { RealCluster } from '../../../src/localcluster/real/index.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { manifests, namespace } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);

/** A server answering `ok` on 8080 that keeps idle keep-alive connections for two minutes (Node's default is 5 s). */
const WEB = "const s = require('http').createServer((q, r) => r.end('ok')); s.keepAliveTimeout = 120000; s.listen(8080, process.env.HOST)";

/**
 * A client pod: its own HTTP server on 8080 (reached from the test through its Service) does, from inside
 * the pod, what the test asks: `/get?host&port` a new connection, `/open?host&port` a keep-alive
 * connection it holds, `/again` one more request on that connection (or what happened to it).
 */
const CLIENT = `
const http = require('http'), net = require('net');
let held;
function get(host, port, done) {
  const q = http.get({ host, port, path: '/', agent: false, timeout: 2500 }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => done(r.statusCode + ' ' + b)); });
  q.on('timeout', () => { q.destroy(); done('timeout'); });
  q.on('error', (e) => done(e.code || e.message));
}
function ask(sock, done) {
  let b = '';
  const t = setTimeout(() => { sock.off('data', on); done('timeout'); }, 2500);
  const on = (d) => { b += d; if (/\\r\\n\\r\\n[\\s\\S]*ok/.test(b)) { clearTimeout(t); sock.off('data', on); done('ok'); } };
  sock.on('data', on);
  sock.write('GET / HTTP/1.1\\r\\nHost: web\\r\\nConnection: keep-alive\\r\\n\\r\\n');
}
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x'), host = u.searchParams.get('host'), port = Number(u.searchParams.get('port'));
  const done = (t) => res.end(t);
  if (u.pathname === '/get') return get(host, port, done);
  if (u.pathname === '/open') {
    held?.sock.destroy();
    const sock = net.connect(port, host);
    const entry = (held = { sock, error: undefined });
    sock.on('error', (e) => { entry.error = e.code; });
    sock.on('close', () => { entry.error ??= 'closed'; });
    sock.once('connect', () => ask(sock, done));
    return;
  }
  if (u.pathname === '/again') return held.error ? done('error ' + held.error) : ask(held.sock, done);
  res.end('?');
}).listen(8080, process.env.HOST);
`;

function deployment(name: string, labels: Record<string, string>, script: string): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: np}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}, ${l}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: node:20-slim
          command: [node, -e, ${JSON.stringify(script)}]
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`;
}

function service(name: string): string {
  return `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: np}\nspec:\n  selector: {app: ${name}}\n  ports: [{port: 80, targetPort: 8080}]\n`;
}

describe('NetworkPolicy on the real control plane: nftables in the node namespaces', function () {
  this.timeout(240_000);
  let cluster: RealCluster;
  let kube: KubeClients;
  let networking: NetworkingV1Api;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let webIP: string;
  let webClusterIP: string;

  /** What client pod `from` got for `path` (asked through its Service from this machine). */
  async function ask(from: 'friend' | 'stranger', what: string): Promise<string> {
    const address = await cluster.serviceAddress('np', from);
    const res = await fetch(`http://${address!.host}:${address!.port}${what}`, { signal: AbortSignal.timeout(10_000) });
    return res.text();
  }
  const direct = (from: 'friend' | 'stranger') => ask(from, `/get?host=${webIP}&port=8080`);
  const viaService = (from: 'friend' | 'stranger') => ask(from, `/get?host=${webClusterIP}&port=80`);

  /** A request from this machine through the Service's loopback address, on a new connection (fetch would keep one open). */
  async function fromThisMachine(): Promise<string> {
    const address = await cluster.serviceAddress('np', 'web');
    return new Promise((resolve) => {
      const q = http.get({ host: address!.host, port: address!.port, path: '/', agent: false, timeout: 2500 }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => { body += d.toString(); });
        r.on('end', () => resolve(`${r.statusCode} ${body}`));
      });
      q.on('timeout', () => { q.destroy(); resolve('timeout'); });
      q.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  }

  async function policy(name: string, spec: object): Promise<void> {
    await networking.createNamespacedNetworkPolicy({ namespace: 'np', body: { metadata: { name }, spec } });
  }
  async function unpolicy(name: string): Promise<void> {
    await networking.deleteNamespacedNetworkPolicy({ namespace: 'np', name });
  }

  before(async function () {
    const bin = await requireRealControlPlane(this);
    work = await tempDir();
    const file = path.join(work.dir, 'np.yaml');
    await writeFile(file, manifests(namespace('np'),
      deployment('web', { tier: 'web' }, WEB), service('web'),
      deployment('friend', { role: 'friend' }, CLIENT), service('friend'),
      deployment('stranger', { role: 'stranger' }, CLIENT), service('stranger')));
    cluster = new RealCluster({ nodes: 2, stateDir: path.join(work.dir, 'state'), binDir: bin, cni: 'keep' });
    await cluster.start();
    kube = kubeClients({ kubeconfig: cluster.kubeconfig });
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    networking = kc.makeApiClient(NetworkingV1Api);
    await cluster.applyFiles([file]);
    await cluster.waitUntilAvailable({ namespaces: ['np'], timeoutMs: 90_000 });
    const web = (await kube.core.listNamespacedPod({ namespace: 'np', labelSelector: 'app=web' })).items[0]!;
    webIP = web.status!.podIP!;
    webClusterIP = (await kube.core.readNamespacedService({ namespace: 'np', name: 'web' })).spec!.clusterIP!;
  });

  after(async () => {
    if (!cluster) return;
    const namespaces = cluster.nodes.map((n) => n.netns.name);
    await cluster.stop();
    // the node namespaces went with their tables; the machine's own firewall was never touched
    const { stdout } = await run('ip', ['netns', 'list']);
    for (const ns of namespaces) expect(stdout).not.to.contain(ns);
    expect((await run('nft', ['list', 'tables'])).stdout).not.to.match(/table ip crt\b/);
    await work.remove();
  });

  afterEach(async () => {
    if (!kube) return;
    const left = await networking.listNamespacedNetworkPolicy({ namespace: 'np' });
    for (const p of left.items) await unpolicy(p.metadata!.name!);
    await cluster.policies!.setCni('keep');
    await until('traffic restored', async () => (await direct('stranger')) === '200 ok', 20_000, 200);
  });

  it('without a policy, pods reach each other directly and through the Service, with their own pod IP as source', async () => {
    // the first calls through a fresh Service proxy may be slow on a busy machine: waited for, not timed
    await until('direct pod traffic', async () => (await direct('friend')) === '200 ok', 20_000, 200);
    await until('pod traffic through the Service', async () => (await viaService('stranger')) === '200 ok', 20_000, 200);
    await until('traffic from this machine', async () => (await fromThisMachine()) === '200 ok', 20_000, 200);
    // the pods of a node share its namespace: their connections leave with their own address (cgroup mark, SNAT)
    const friend = (await kube.core.listNamespacedPod({ namespace: 'np', labelSelector: 'app=friend' })).items[0]!;
    const ns = cluster.node(friend.spec!.nodeName!)!.netns.name;
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'nft', 'list', 'chain', 'ip', 'crt', 'pod_snat']);
    expect(stdout).to.contain(`snat to ${friend.status!.podIP}`);
  });

  it('a deny-all ingress policy cuts pod-to-pod, Service and outside traffic to the selected pods (black hole: timeouts), and its removal restores them', async () => {
    await policy('deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
    await until('direct pod traffic cut', async () => (await direct('friend')) === 'timeout', 20_000, 200);
    expect(await direct('stranger')).to.equal('timeout');
    expect(await viaService('friend')).to.equal('timeout');
    expect(await fromThisMachine()).to.equal('timeout');
    // other pods are not selected: they still answer
    expect(await ask('friend', '/get?host=' + (await podIP('stranger')) + '&port=8080')).to.match(/^200 /);
    await unpolicy('deny-web');
    await until('traffic restored', async () => (await direct('friend')) === '200 ok', 20_000, 200);
    expect(await viaService('stranger')).to.equal('200 ok');
    expect(await fromThisMachine()).to.equal('200 ok');
  });

  it('an ingress policy allowing pods by label lets only those in, on the named port', async () => {
    await policy('friends-only', {
      podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'],
      ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 'http' }] }],
    });
    await until('stranger cut', async () => (await direct('stranger')) === 'timeout', 20_000, 200);
    expect(await direct('friend')).to.equal('200 ok');
    // through the Service the userspace proxy in the hub dials, from the hub's address: no pod, so not admitted
    expect(await viaService('friend')).to.equal('timeout');
  });

  it('an egress policy without rules cuts the selected pod\'s new connections only', async () => {
    await policy('friend-egress', { podSelector: { matchLabels: { role: 'friend' } }, policyTypes: ['Egress'] });
    await until('friend egress cut', async () => (await direct('friend')) === 'timeout', 20_000, 200);
    expect(await viaService('friend')).to.equal('timeout');
    expect(await direct('stranger')).to.equal('200 ok');
    // its own server still answers (replies are not egress)
    expect(await ask('friend', '/nothing')).to.equal('?');
  });

  for (const [cni, expected] of [['keep', 'ok'], ['drop', 'timeout'], ['reset', 'error ECONNRESET']] as const) {
    it(`cni: ${cni}: an open keep-alive connection that a new policy denies gets "${expected}"`, async () => {
      await cluster.policies!.setCni(cni);
      expect(await ask('friend', `/open?host=${webIP}&port=8080`)).to.equal('ok');
      await policy('deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
      await until('new connections cut', async () => (await direct('stranger')) === 'timeout', 20_000, 200);
      expect(await ask('friend', '/again')).to.equal(expected);
      await unpolicy('deny-web');
      if (cni === 'drop') {
        // the flow was only black-holed: once allowed again, the same connection goes on
        await until('held connection resumed', async () => (await ask('friend', '/again')) === 'ok', 20_000, 200);
      }
    });
  }

  async function podIP(app: string): Promise<string> {
    return (await kube.core.listNamespacedPod({ namespace: 'np', labelSelector: `app=${app}` })).items[0]!.status!.podIP!;
  }
});
