import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { kubeClients, serviceUrl } from '../../../src/kube/index.js';
import { builtinFaults } from '../../../src/faults/index.js';
import type { NodeLossTimes } from '../../../src/faults/node-loss-watch.js';
import { demoManifestPath, type LocalCluster } from '../../../src/localcluster/index.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { alive } from '../../helpers/processes.js';
import { faultContext, inject, until } from './node-fault-helpers.js';

const HEARTBEAT_MS = 500;
const MONITOR_PERIOD_MS = 500;
const GRACE_MS = 2_000;
const TOLERATION_SEC = 2;

const ready = (obj: KObject | undefined): boolean => (obj?.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** `GET http://<ip>:8080/healthz`, dialled from `from` when given (a pod's own address, as the pod would): the status, or the failure. */
function healthz(ip: string, from?: string, timeoutMs = 1_000): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 8080, path: '/healthz', agent: false, timeout: timeoutMs, ...(from ? { localAddress: from } : {}) }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (err) => resolve(err.message));
  });
}

/** Bounded GETs through the gateway Service, 4 at a time, until stopped: counts answers and failures. */
function loadLoop(url: string): { stop: () => Promise<{ ok: number; failed: number; okAfterMark: number }>; mark: () => void; okAfterMark: () => number } {
  let running = true;
  let marked = false;
  const counts = { ok: 0, failed: 0, okAfterMark: 0 };
  const worker = async (): Promise<void> => {
    for (let i = 0; running && i < 20_000; i++) {
      try {
        const res = await fetch(`${url}/customers/1`, { signal: AbortSignal.timeout(1_500) });
        await res.arrayBuffer();
        if (res.ok) {
          counts.ok++;
          if (marked) counts.okAfterMark++;
        } else counts.failed++;
      } catch {
        counts.failed++;
      }
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return { mark: () => (marked = true), okAfterMark: () => counts.okAfterMark, stop: async () => ((running = false), await Promise.all(workers), counts) };
}

/** A keep-alive connection to a pod's gate that has had one answer; `closed` resolves when the other side ends it. */
async function openConnection(ip: string): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  const socket = net.connect({ host: ip, port: 8080 });
  const closed = new Promise<string>((resolve) => {
    let why = 'closed';
    socket.on('error', (err: NodeJS.ErrnoException) => (why = err.code ?? err.message));
    socket.once('close', () => resolve(why));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
    socket.write('GET /healthz HTTP/1.1\r\nHost: pod\r\nConnection: keep-alive\r\n\r\n');
  });
  return { socket, closed };
}

// Builtin control plane only: this suite dials pod addresses from this process (127/8 on builtin; on the
// real control plane they are 198.18/15 inside the nodes' network namespaces, never in this one) and reads
// the kubelets' process tables and the store directly. The link fault on the real control plane is proven
// through the API and crt revert in test/cli/revert.test.ts, which runs on both.
/**
 * node-loss `mode: link` on a 3-node embedded cluster running the demo, with second-scale node
 * monitoring: the node's pods keep running but are cut off from the rest of the cluster and from
 * outside, the node goes NotReady and its pods are replaced, and the link back makes the kubelet
 * stop what was evicted meanwhile and keep the rest.
 */
describe('node-loss mode: link on the embedded cluster', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let tmp: { dir: string };
  let kubeconfig: string;

  const pods = (ns: string, pred: (p: KObject) => boolean = () => true): KObject[] => cluster.store.snapshot('pods', ns, pred);
  const pod = (ns: string, name: string): KObject | undefined => cluster.store.peek('pods', ns, name);
  const node = (name: string): KObject => cluster.store.get('nodes', undefined, name);

  let test: TestCluster;
  before(async () => {
    test = await startTestCluster({ nodes: 3, heartbeatMs: HEARTBEAT_MS, nodeMonitorPeriodMs: MONITOR_PERIOD_MS, nodeMonitorGracePeriodMs: GRACE_MS, defaultTolerationSeconds: TOLERATION_SEC, manifests: [demoManifestPath] });
    ({ cluster, kubeconfig, tmp } = test);
  });

  after(() => test.stop());

  it('cuts the node of a gateway pod off under load: its pods live on unreachable, are replaced, and the link back stops the evicted ones', async () => {
    const gateways = pods('demo', (p) => p.metadata.labels?.app === 'gateway');
    const victim = gateways[0]!;
    const lost: string = victim.spec.nodeName;
    const other = gateways.find((p) => p.spec.nodeName !== lost)!;
    // a pod that tolerates an unreachable node forever: it stays bound through the partition
    cluster.apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keeper', namespace: 'demo', labels: { app: 'keeper' } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': lost },
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
        containers: [{ name: 'store', image: 'crt.io/demo:1.0', args: ['store'], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 } }],
      },
    }]);
    await until('keeper Ready', () => ready(pod('demo', 'keeper')));
    const keeper = pod('demo', 'keeper')!;
    const agent = cluster.node(lost)!;
    const keeperPids = agent.podPids(keeper.metadata.uid!);
    const evicted = pods('demo', (p) => p.spec?.nodeName === lost && p.metadata.name !== 'keeper');
    const evictedPids = evicted.flatMap((p) => agent.podPids(p.metadata.uid!));
    expect(keeperPids).to.have.length(1);
    expect(evictedPids.length).to.be.greaterThan(0);
    const [victimIP, otherIP, keeperIP] = [victim.status.podIP as string, other.status.podIP as string, keeper.status.podIP as string];
    expect(await healthz(victimIP), 'the gateway pod answers before').to.equal(200);
    const established = await openConnection(victimIP);

    const load = loadLoop(await serviceUrl(kubeClients({ kubeconfig }), 'demo', 'gateway'));
    const { plan, record, result } = await inject(builtinFaults['node-loss'], 'node-loss', { node: lost, provider: 'local', mode: 'link', timeout: '20s' }, faultContext(kubeconfig, tmp.dir));
    expect(plan.summary).to.equal(`lose ${lost} (local, link; node ${lost})`);
    expect(record).to.deep.equal({ fault: 'node-loss', provider: 'local', nodes: [lost], mode: 'link', server: cluster.url, set: { link: 'down' } });
    expect(result.data).to.deep.include({ provider: 'local', mode: 'link' });
    const t = (result.data!.times as NodeLossTimes[])[0]!;
    console.log(`      link: ${result.detail}`);
    expect(t.notReadyMs).to.be.within(GRACE_MS - 2 * HEARTBEAT_MS - MONITOR_PERIOD_MS, GRACE_MS + 4_000);
    expect(t.podsEvictedMs).to.be.within(t.notReadyMs!, t.notReadyMs! + TOLERATION_SEC * 1000 + 4_000);
    expect(t.pods).to.equal(evicted.length);

    // black-holed, as packets to a lost node are: no reset, it hangs until the client gives up (checked
    // once the new connections below have timed out)
    let establishedClosed = false;
    void established.closed.then(() => (establishedClosed = true));
    expect([...keeperPids, ...evictedPids].filter((pid) => !alive(pid)), 'pod processes dead while the link is down').to.deep.equal([]);
    expect(pod('demo', victim.metadata.name!)?.metadata.deletionTimestamp, 'the gateway pod is Terminating, nobody to finish it').to.be.a('string');
    expect(ready(pod('demo', 'keeper')), 'the keeper marked not Ready by the node controller').to.equal(false);
    const [fromOutside, sameNode, crossNode, fromOtherNode] = await Promise.all([
      healthz(victimIP), healthz(victimIP, keeperIP), healthz(otherIP, keeperIP), healthz(keeperIP, otherIP),
    ]);
    expect({ fromOutside, sameNode, crossNode, fromOtherNode }).to.deep.equal({ fromOutside: 'timeout', sameNode: 200, crossNode: 'timeout', fromOtherNode: 'timeout' });
    expect(establishedClosed, 'the open connection to the pod closed').to.equal(false);
    established.socket.destroy();

    await until('3 ready gateway pods on the other nodes', () => {
      const gw = pods('demo', (p) => p.metadata.labels?.app === 'gateway' && !p.metadata.deletionTimestamp);
      return gw.length === 3 && gw.every((p) => p.spec?.nodeName !== lost && ready(p));
    });
    load.mark();
    await until('answers once the pods were replaced', () => load.okAfterMark() >= 5, 10_000);
    const counts = await load.stop();
    console.log(`      load through the gateway: ${counts.ok} answered, ${counts.failed} failed`);
    expect(counts.failed, 'requests that reached the partitioned pod').to.be.greaterThan(0);
    expect(counts.okAfterMark, 'answers once the pods were replaced').to.be.greaterThan(0);

    // from the record alone, as `crt revert` in another process: no clients, the server from the record
    const { kube: _unused, ...withoutKube } = faultContext(kubeconfig, tmp.dir, 'revert');
    expect(await builtinFaults['node-loss'].revert(record!, withoutKube)).to.equal(`link up on ${lost}`);
    expect(ready(node(lost)), 'Ready at once: the heartbeat resumes with the link').to.equal(true);
    await until('the evicted pods stopped and deleted, the keeper Ready again', () =>
      evictedPids.every((pid) => !alive(pid)) && evicted.every((p) => pod('demo', p.metadata.name!) === undefined) && ready(pod('demo', 'keeper')), 20_000);
    expect(agent.podPids(keeper.metadata.uid!), 'the keeper kept running').to.deep.equal(keeperPids);
    expect(keeperPids.filter(alive)).to.deep.equal(keeperPids);
    expect(await healthz(keeperIP), 'the keeper is reachable again').to.equal(200);
    // no pod runs twice: every pod of the API runs on its node only, and nothing else runs
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 20_000 });
    const all = pods('demo');
    for (const p of all) {
      const running = cluster.nodes.filter((n) => n.podPids(p.metadata.uid!).length > 0).map((n) => n.name);
      expect(running, p.metadata.name).to.deep.equal([p.spec.nodeName]);
    }
    expect(cluster.pids().length, 'container processes = pods').to.equal(all.length);
    expect(all.filter((p) => p.metadata.labels?.app === 'gateway' && !p.metadata.deletionTimestamp)).to.have.length(3);
    cluster.store.delete('pods', 'demo', 'keeper', { gracePeriodSeconds: 0 });
  });

  it('a link back within the grace period leaves the node Ready and its pods untouched', async () => {
    const lost = 'node-3';
    const agent = cluster.node(lost)!;
    const before = pods('demo', (p) => p.spec?.nodeName === lost && !p.metadata.deletionTimestamp);
    const pids = before.map((p) => agent.podPids(p.metadata.uid!));
    // when the node object was last written (its heartbeats): the link's effect, seen from the API
    let lastWriteAt = Date.now();
    const stopWatch = cluster.store.watch('nodes', undefined, {}, (e) => {
      if (e.type === 'MODIFIED' && e.object.metadata.name === lost) lastWriteAt = Date.now();
    });
    const downAt = Date.now();
    const res = await fetch(`${cluster.url}/crt/v1/nodes/${lost}/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'down' }) });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({ kind: 'NodeLink', node: lost, state: 'down' });
    expect(await (await fetch(`${cluster.url}/crt/v1/nodes/${lost}/link`)).json()).to.deep.include({ state: 'down' });
    await until('two heartbeats missed while the link is down', () => Date.now() - lastWriteAt >= 2 * HEARTBEAT_MS, GRACE_MS);
    const up = await fetch(`${cluster.url}/crt/v1/nodes/${lost}/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'up' }) });
    expect(await up.json()).to.deep.include({ kind: 'NodeLink', node: lost, state: 'up' });
    await until('heartbeats again, past the grace period counted from the link-down', () => lastWriteAt - downAt >= GRACE_MS + MONITOR_PERIOD_MS, 3 * GRACE_MS);
    stopWatch();
    expect(ready(node(lost))).to.equal(true);
    const after = pods('demo', (p) => p.spec?.nodeName === lost && !p.metadata.deletionTimestamp);
    expect(after.map((p) => p.metadata.uid)).to.deep.equal(before.map((p) => p.metadata.uid));
    expect(after.map((p) => agent.podPids(p.metadata.uid!))).to.deep.equal(pids);
    const bad = await fetch(`${cluster.url}/crt/v1/nodes/${lost}/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'off' }) });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.contain('body must be {\\"state\\":\\"down\\"} or {\\"state\\":\\"up\\"}');
  });
});
