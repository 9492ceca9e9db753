import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { KObject } from '../../../src/localcluster/api/types.js';
import type { LocalCluster } from '../../../src/localcluster/index.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { until } from '../../helpers/until.js';

const CLIENT_TIMEOUT_MS = 1000;
const PROPAGATION_MS = 1000;
const START_DELAY_MS = 1500;

/** A pod name, or 'timeout' or 'error'. */
type Outcome = string;

/** A web server answering its pod name; on SIGTERM it notes the time in $MARKS/<pod>.term and serves 3 s more. */
const WEB = `const http = require('http'), fs = require('fs');
const name = process.env.POD_NAME;
const server = http.createServer((req, res) => res.end(name));
server.keepAliveTimeout = 60000;
server.listen(8080, process.env.HOST);
process.on('SIGTERM', () => { fs.writeFileSync(process.env.MARKS + '/' + name + '.term', String(Date.now())); setTimeout(() => process.exit(0), 3000); });`;

function webContainer(marks: string, cpu = '100m'): Record<string, unknown> {
  return {
    name: 'web', image: 'node:20', command: ['node', '-e', WEB], env: [{ name: 'MARKS', value: marks }],
    ports: [{ name: 'http', containerPort: 8080 }], resources: { requests: { cpu } },
    readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
  };
}

function deployment(name: string, replicas: number, container: Record<string, unknown>): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'dp' },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 10, containers: [container] } },
    },
  };
}

/** One GET on a new connection, with a 1 s timeout: the body (a pod name), 'timeout' or 'error' (a reset, a refusal). */
function get(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.once('end', () => resolve(body));
    });
    req.once('error', (err) => resolve(err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timeout' : 'error'));
  });
}

/** An HTTP/1.1 keep-alive connection that has had one answer; `closed` resolves with the time it closed. */
async function keepAlive(host: string, port: number): Promise<{ socket: net.Socket; closed: Promise<number>; answers: () => number }> {
  const socket = net.connect({ host, port });
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.write('GET / HTTP/1.1\r\nHost: dp\r\n\r\n');
  await until('an answer on the connection', () => /^HTTP\/1\.1 200/.test(text), 5000);
  return { socket, closed, answers: () => text.split('HTTP/1.1 ').length - 1 };
}

/** Whether the connection closed within `ms` (a bounded wait: a black-holed connection never says). */
const closesWithin = (closed: Promise<number>, ms: number): Promise<boolean> =>
  Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

/**
 * The embedded data plane set as unforgiving as a real one: endpoint propagation lag, pod start delay,
 * node capacity with NodeResourcesFit, the `drop` CNI profile, black-holed power-off, and SIGTERM to
 * the main process only. Two nodes of 1 cpu each.
 */
describe('The embedded data plane, as unforgiving as a real one', function () {
  this.timeout(90_000);
  let cluster: LocalCluster;
  let test: TestCluster | undefined;
  let tmp: TestCluster['tmp'];
  let marks: string;
  let service: { host: string; port: number };

  const pods = (app: string): KObject[] => cluster.store.snapshot('pods', 'dp', (p) => p.metadata.labels?.app === app);
  const running = (app: string): KObject[] => pods(app).filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));

  before(async () => {
    test = await startTestCluster({
      nodes: 2, cni: 'drop', podStartDelayMs: START_DELAY_MS,
      endpointPropagationDelayMs: PROPAGATION_MS, nodeCapacity: { cpu: '1' },
    });
    ({ cluster, tmp } = test);
    marks = tmp.dir;
    cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dp' } },
      deployment('web', 2, webContainer(marks)),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'dp' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 8080 }] } },
    ]);
    await cluster.waitUntilAvailable({ namespaces: ['dp'], timeoutMs: 45_000 });
    service = (await cluster.serviceAddress('dp', 'web'))!;
    const seen = new Set<Outcome>();
    await until('both web pods answer through the Service', async () => {
      const outcome = await get(service.host, service.port);
      if (outcome.startsWith('web-')) seen.add(outcome);
      return seen.size === 2;
    }, 20_000);
  });

  after(async () => {
    await test?.stop();
  });

  it('keeps sending new connections to a deleted pod for the propagation lag, while its SIGTERM arrives at once', async () => {
    const victim = running('web')[0]!.metadata.name!;
    const answers: Array<{ atMs: number; outcome: Outcome }> = [];
    const deletedAt = Date.now();
    cluster.store.delete('pods', 'dp', victim);
    while (Date.now() < deletedAt + PROPAGATION_MS + 2000) {
      const atMs = Date.now();
      answers.push({ atMs, outcome: await get(service.host, service.port) });
    }
    const termAt = Number(readFileSync(path.join(marks, `${victim}.term`), 'utf8'));
    const fromVictim = answers.filter((a) => a.outcome === victim);
    const lastFromVictim = fromVictim.at(-1)!.atMs;
    expect(termAt - deletedAt, 'SIGTERM within 500 ms of the deletion').to.be.below(500);
    expect(fromVictim.filter((a) => a.atMs > termAt), 'new connections served after SIGTERM').to.not.be.empty;
    expect(lastFromVictim - deletedAt, 'the last new connection to the deleted pod, after the deletion').to.be.within(PROPAGATION_MS / 2, PROPAGATION_MS + 1000);
    expect(answers.filter((a) => a.atMs > lastFromVictim + 200).map((a) => a.outcome), 'then only the other pod').to.satisfy((all: Outcome[]) => all.length > 0 && all.every((o) => o !== victim && o.startsWith('web-')));
  });

  it('keeps a pod ContainerCreating for the start delay before its containers start', async () => {
    cluster.apply([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'slow-start', namespace: 'dp' }, spec: { containers: [webContainer(marks, '10m')] } }]);
    const pod = (): KObject | undefined => cluster.store.peek('pods', 'dp', 'slow-start');
    const waiting = await until('the pod bound and ContainerCreating', () => {
      const p = pod();
      return p?.spec.nodeName && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating' ? Date.now() : false;
    }, 10_000, 20);
    const started = await until('the container running', () => (pod()?.status?.containerStatuses?.[0]?.state?.running ? Date.now() : false), 10_000, 20);
    expect(started - waiting).to.be.at.least(START_DELAY_MS - 300);
    cluster.store.delete('pods', 'dp', 'slow-start', { gracePeriodSeconds: 0 });
  });

  it('leaves a drained pod Pending when no other node has room for its request, and schedules it once there is', async () => {
    cluster.apply([deployment('big', 2, webContainer(marks, '600m'))]);
    await until('both big pods Ready, one per node', () => running('big').length === 2 && new Set(running('big').map((p) => p.spec.nodeName)).size === 2, 30_000);
    const [first] = running('big');
    const node = first!.spec.nodeName as string;
    cluster.store.mutate('nodes', undefined, node, (d) => void (d.spec.unschedulable = true));
    cluster.store.delete('pods', 'dp', first!.metadata.name!);
    const pending = await until('the replacement Unschedulable', () => pods('big').find((p) => !p.spec.nodeName && p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')), 10_000);
    const scheduled = pending.status.conditions.find((c: any) => c.type === 'PodScheduled');
    expect(scheduled.message).to.equal('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
    const warned = cluster.store.snapshot('events', 'dp').some((e: any) => e.reason === 'FailedScheduling' && e.involvedObject?.name === pending.metadata.name);
    expect(warned, 'a FailedScheduling event').to.equal(true);
    cluster.store.mutate('nodes', undefined, node, (d) => void (d.spec.unschedulable = false));
    await until('the replacement bound to the uncordoned node once the old pod is gone', () => cluster.store.peek('pods', 'dp', pending.metadata.name!)?.spec.nodeName === node, 20_000);
    cluster.store.delete('apps/deployments', 'dp', 'big');
  });

  it('black-holes an established connection a new NetworkPolicy denies (cni drop): no reset, no answer, until the policy goes', async () => {
    const conn = await keepAlive(service.host, service.port);
    cluster.store.create('networking.k8s.io/networkpolicies', 'dp', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-web', namespace: 'dp' }, spec: { podSelector: { matchLabels: { app: 'web' } } },
    });
    try {
      expect(await get(service.host, service.port), 'a new connection').to.equal('timeout');
      conn.socket.write('GET / HTTP/1.1\r\nHost: dp\r\n\r\n');
      expect(await closesWithin(conn.closed, CLIENT_TIMEOUT_MS), 'the established one is not reset').to.equal(false);
      expect(conn.answers(), 'and its second request gets no answer').to.equal(1);
      cluster.store.delete('networking.k8s.io/networkpolicies', 'dp', 'deny-web');
      await until('the second request answered once the policy is gone (the flow resumes)', () => conn.answers() === 2, 5000);
    } finally {
      conn.socket.destroy();
      if (cluster.store.peek('networking.k8s.io/networkpolicies', 'dp', 'deny-web')) cluster.store.delete('networking.k8s.io/networkpolicies', 'dp', 'deny-web');
    }
    await until('the Service answers again', async () => (await get(service.host, service.port)).startsWith('web-'), 10_000);
  });

  it('sends SIGTERM to the main process only: a shell that does not pass it on leaves its child to the SIGKILL', async () => {
    const child = "process.on('SIGTERM', () => { require('fs').writeFileSync(process.env.MARKS + '/shell.child', ''); process.exit(0) }); setInterval(() => {}, 1000)";
    const script = `trap 'echo term > "$MARKS/shell.main"; exit 0' TERM; node -e "${child}" & echo started > "$MARKS/shell.started"; wait`;
    cluster.apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shell', namespace: 'dp' },
      spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'sh', image: 'busybox', command: ['sh', '-c', script], env: [{ name: 'MARKS', value: marks }], resources: { requests: { cpu: '10m' } } }] },
    }]);
    await until('the shell started its child', () => existsSync(path.join(marks, 'shell.started')), 15_000);
    cluster.store.delete('pods', 'dp', 'shell');
    await until('the pod gone', () => !cluster.store.peek('pods', 'dp', 'shell'), 15_000);
    expect(existsSync(path.join(marks, 'shell.main')), 'the main process got SIGTERM').to.equal(true);
    expect(existsSync(path.join(marks, 'shell.child')), 'its child did not').to.equal(false);
  });

  it('black-holes a powered-off node: an established connection to its pod hangs and a new one is never answered', async () => {
    const victim = running('web')[0]!;
    const ip = victim.status.podIP as string;
    const conn = await keepAlive(ip, 8080);
    const agent = cluster.node(victim.spec.nodeName)!;
    await agent.powerOff();
    try {
      conn.socket.write('GET / HTTP/1.1\r\nHost: dp\r\n\r\n');
      expect(await closesWithin(conn.closed, CLIENT_TIMEOUT_MS), 'the established connection is not reset').to.equal(false);
      expect(conn.answers(), 'nor answered').to.equal(1);
      expect(await get(ip, 8080), 'a new connection to the pod IP').to.equal('timeout');
      agent.powerOn();
      expect(await closesWithin(conn.closed, 5000), 'reset once the machine is back: its process is gone').to.equal(true);
    } finally {
      conn.socket.destroy();
      agent.powerOn();
    }
  });
});
