import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { kubeClients, writeEmbeddedKubeconfig, type KubeClients } from '../src/kube/index.js';
import { LocalCluster, demoManifestPath, embeddedCluster, installKubernetes, type ControlPlaneKind } from '../src/localcluster/index.js';
import { quickstartTimings } from './lib/fidelity.js';
import { fixed, machine, ratio, table } from './lib/print.js';
import { autocannonCli, wrk, wrkVersion } from './lib/tools.js';

/**
 * The embedded cluster's figures, on either control plane (issue 13 item 6; targets in brackets), each
 * the median of --rounds fresh 3-node clusters with the quickstart's node timings:
 * `up --demo` (start + demo applied → all Deployments available; binaries already installed) [real:
 * ≤ 20 s], a killed gateway pod → its replacement Ready [real: ≤ 3 s], a powered-off node → its pods
 * evicted, and the latency of listing every pod. Then, on builtin (--extras), the older figures: req/s
 * through a Service proxy ÷ direct to the pod's process [≥ 0.8], list and watch latency with 100 pods.
 * With per-pod ingress gates (the default) the pod IP is the gate and the process listens on a private
 * address: both are measured, and the Service path is proxy + gate.
 * The real control plane needs root and network namespaces: run it isolated,
 *   unshare --net --pid --fork --mount-proc sh -c 'ip link set lo up && nice npm run bench:cluster -- --control-plane both'
 * Usage: npm run bench:cluster -- [--control-plane builtin|kubernetes|both] [--rounds 3] [--extras true|false]
 *   [--profile] [--duration 8] [--connections 50] [--pods 100] [--pod-gates true|false]
 */
const { values: args } = parseArgs({
  options: {
    'control-plane': { type: 'string', default: 'builtin' }, rounds: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false }, extras: { type: 'string', default: 'true' },
    duration: { type: 'string', default: '8' }, connections: { type: 'string', default: '50' }, pods: { type: 'string', default: '100' }, 'pod-gates': { type: 'string', default: 'true' },
  },
});
for (const flag of ['pod-gates', 'extras'] as const) if (!['true', 'false'].includes(args[flag])) throw new Error(`--${flag} takes true or false, not ${args[flag]}`);
const planes: ControlPlaneKind[] = ({ builtin: ['builtin'], kubernetes: ['kubernetes'], both: ['builtin', 'kubernetes'] } as Record<string, ControlPlaneKind[]>)[args['control-plane']] ?? [];
if (planes.length === 0) throw new Error(`--control-plane takes builtin, kubernetes or both, not ${args['control-plane']}`);
const podGates = args['pod-gates'] === 'true';
const rounds = Number(args.rounds);
const durationSec = Number(args.duration);
const connections = Number(args.connections);
const podCount = Number(args.pods);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ready = (p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const median = (xs: number[]) => pct(xs, 0.5);

async function until(fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

/** Polls the API every 25 ms (as a person's tool would watch) until `fn` holds; returns the ms since t0. */
async function untilApi(what: string, t0: number, fn: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
  return performance.now() - t0;
}

interface Figures { upMs: number; startMs: number; appliedMs: number; replacementMs: number; notReadyMs: number; evictedMs: number; rescheduledMs: number; listMs: number }

const demoPods = async (kube: KubeClients, node?: string): Promise<V1Pod[]> =>
  (await kube.core.listNamespacedPod({ namespace: 'demo', ...(node ? { fieldSelector: `spec.nodeName=${node}` } : {}) })).items;

const demoAvailable = async (kube: KubeClients): Promise<boolean> =>
  (await kube.apps.listNamespacedDeployment({ namespace: 'demo' })).items.every((d) => d.status?.availableReplicas === d.spec?.replicas && d.status?.updatedReplicas === d.spec?.replicas && d.status?.replicas === d.spec?.replicas);

/** One fresh cluster: up with the demo, a pod killed, pods listed, a node powered off; then stopped. */
async function round(kind: ControlPlaneKind, dir: string): Promise<Figures> {
  let t0 = performance.now();
  // --profile: the start's progress lines with their time, to see where `up` spends it
  const onProgress = (line: string) => { if (args.profile) process.stderr.write(`  +${Math.round(performance.now() - t0)} ms ${line}\n`); };
  const cluster = await embeddedCluster({ controlPlane: kind, nodes: 3, stateDir: path.join(dir, `state-${kind}`), onProgress, ...(kind === 'builtin' ? { podGates } : {}), ...quickstartTimings() });
  try {
    t0 = performance.now();
    await cluster.start();
    const startMs = performance.now() - t0;
    await cluster.applyFiles([demoManifestPath]);
    const appliedMs = performance.now() - t0;
    await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 120_000 });
    const upMs = performance.now() - t0;
    const file = path.join(dir, `kubeconfig-${kind}`);
    await cluster.writeKubeconfig(file);
    const kube = kubeClients({ kubeconfig: file });
    // a killed pod, as crt's pod-kill does it (the pod's own grace period)
    const victim = (await demoPods(kube)).find((p) => p.metadata?.labels?.app === 'gateway')!;
    const t1 = performance.now();
    await kube.core.deleteNamespacedPod({ namespace: 'demo', name: victim.metadata!.name! });
    const replacementMs = await untilApi('a replacement Ready', t1, async () => (await demoPods(kube)).filter((p) => p.metadata?.labels?.app === 'gateway'
      && !p.metadata.deletionTimestamp && p.metadata.uid !== victim.metadata?.uid && ready(p)).length === 3);
    await untilApi('the demo whole', t1, () => demoAvailable(kube));
    const list: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await kube.core.listPodForAllNamespaces();
      list.push(performance.now() - t);
    }
    const node = 'node-2';
    const onNode = (await demoPods(kube, node)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.uid);
    const t2 = performance.now();
    const off = await fetch(`${cluster.switchBase}/crt/v1/nodes/${node}/power`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"off"}' });
    if (off.status !== 200) throw new Error(`power off ${node}: ${off.status}`);
    const notReadyMs = await untilApi(`${node} not Ready`, t2, async () => (await kube.core.readNode({ name: node })).status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
    const evictedMs = await untilApi(`the pods of ${node} evicted`, t2, async () => (await demoPods(kube, node)).every((p) => !onNode.includes(p.metadata?.uid) || !!p.metadata?.deletionTimestamp));
    const rescheduledMs = await untilApi('the demo whole again', t2, () => demoAvailable(kube));
    return { upMs, startMs, appliedMs, replacementMs, notReadyMs, evictedMs, rescheduledMs, listMs: median(list) };
  } finally {
    await cluster.stop(2);
  }
}

async function figures(kind: ControlPlaneKind, dir: string): Promise<{ kind: ControlPlaneKind; runs: Figures[] }> {
  if (kind === 'kubernetes') await installKubernetes({ download: false, go: null }); // cold binaries excluded: they must be there
  const runs: Figures[] = [];
  for (let i = 0; i < rounds; i++) {
    runs.push(await round(kind, dir));
    process.stderr.write(`${kind} round ${i + 1}/${rounds}: ${JSON.stringify(Object.fromEntries(Object.entries(runs.at(-1)!).map(([k, v]) => [k, Math.round(v)])))}\n`);
  }
  return { kind, runs };
}

function figuresTable(all: Array<{ kind: ControlPlaneKind; runs: Figures[] }>): string {
  const t = quickstartTimings();
  const rows: Array<[string, keyof Figures, string, number]> = [
    ['up --demo → all Deployments available', 'upMs', 'real ≤ 20 s', 0],
    ['  of which: cluster started (control plane, 3 nodes Ready)', 'startMs', '', 0],
    ['  of which: started + demo applied', 'appliedMs', '', 0],
    ['killed gateway pod → replacement Ready', 'replacementMs', 'real ≤ 3 s', 0],
    [`node powered off → NotReady (grace ${t.nodeMonitorGracePeriodMs} ms, period ${t.nodeMonitorPeriodMs} ms)`, 'notReadyMs', '', 0],
    [`node powered off → its pods evicted (toleration ${t.defaultTolerationSeconds} s)`, 'evictedMs', '', 0],
    ['node powered off → every Deployment available again', 'rescheduledMs', '', 0],
    ['list all pods (p50 of 30)', 'listMs', '', 1],
  ];
  const fmt = (ms: number, digits: number) => (digits ? `${fixed(ms, digits)} ms` : `${fixed(ms / 1000, 2)} s`);
  return table(['figure (median of ' + rounds + ', min–max)', ...all.map((a) => a.kind), 'target'], rows.map(([label, key, target, digits]) => [
    label, ...all.map((a) => { const xs = a.runs.map((r) => r[key]); return `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`; }), target,
  ]));
}

async function startup(dir: string): Promise<{ cluster: LocalCluster; ms: number; core: CoreV1Api; kc: KubeConfig }> {
  const t0 = performance.now();
  const cluster = new LocalCluster({ nodes: 3, stateDir: path.join(dir, 'state'), podGates });
  const url = await cluster.start();
  await cluster.applyFiles([demoManifestPath]);
  await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 60_000 });
  const ms = performance.now() - t0;
  const file = path.join(dir, 'kubeconfig');
  await writeEmbeddedKubeconfig(file, url);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return { cluster, ms, core: kc.makeApiClient(CoreV1Api), kc };
}

/** Deletes one gateway pod (grace 0, as `kubectl delete --now` would not wait) and times its replacement. */
async function replacement(cluster: LocalCluster, core: CoreV1Api): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    const pods = cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.app === 'gateway' && !p.metadata.deletionTimestamp);
    const victim = pods[0]!;
    const t0 = performance.now();
    await core.deleteNamespacedPod({ namespace: 'demo', name: victim.metadata.name!, gracePeriodSeconds: 0 });
    await until(() => cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.app === 'gateway' && ready(p) && !p.metadata.deletionTimestamp).length === 3);
    out.push(performance.now() - t0);
    await sleep(500);
  }
  return out;
}

async function listWatch(cluster: LocalCluster, core: CoreV1Api, kc: KubeConfig): Promise<{ list: number[]; watch: number[] }> {
  await core.createNamespace({ body: { metadata: { name: 'bench' } } });
  for (let i = 0; i < podCount; i++) {
    await core.createNamespacedPod({ namespace: 'bench', body: { metadata: { name: `sleeper-${i}`, labels: { app: 'sleeper' } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } });
  }
  await until(() => cluster.store.snapshot('pods', 'bench').filter((p) => p.status?.phase === 'Running').length === podCount, 120_000);
  const list: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await core.listPodForAllNamespaces();
    list.push(performance.now() - t0);
  }
  const watch: number[] = [];
  const sent = new Map<string, number>();
  const req = await new Watch(kc).watch('/api/v1/namespaces/bench/configmaps', {}, (_type, obj: any) => {
    const t = sent.get(obj.metadata.name);
    if (t !== undefined) watch.push(performance.now() - t);
  }, () => undefined);
  for (let i = 0; i < 30; i++) {
    sent.set(`cm-${i}`, performance.now());
    await core.createNamespacedConfigMap({ namespace: 'bench', body: { metadata: { name: `cm-${i}` } } });
    await sleep(20);
  }
  await sleep(200);
  req.abort();
  return { list, watch };
}

async function proxyRatio(cluster: LocalCluster): Promise<{ header: string[]; rows: string[][] }> {
  const store = cluster.store.snapshot('pods', 'demo', (p) => p.metadata.labels?.app === 'store' && ready(p))[0]!;
  const gate = cluster.nodes.map((n) => n.podGate(store.metadata.uid!)).find((g) => g !== undefined);
  const svc = (await cluster.serviceAddress('demo', 'store'))!;
  const targets: Array<[string, string]> = [
    ['process', `http://${gate?.bindIP ?? store.status.podIP}:8080/kv/customers/1`],
    ...(gate ? [['pod IP (gate)', `http://${store.status.podIP}:8080/kv/customers/1`] as [string, string]] : []),
    ['Service', `http://${svc.host}:${svc.port}/kv/customers/1`],
  ];
  const rows: string[][] = [];
  const tools: Array<[string, (url: string) => Promise<{ rps: number }>]> = [['autocannon', (u) => autocannonCli(u, connections, durationSec)]];
  if (wrkVersion()) tools.push(['wrk', (u) => wrk(u, connections, durationSec)]);
  for (const [name, measure] of tools) {
    const rps: number[] = [];
    for (const [, url] of targets) rps.push((await measure(url)).rps);
    rows.push([name, ...rps.map((r) => fixed(r, 0)), ratio(rps.at(-1)!, rps[0])]);
  }
  return { header: ['tool', ...targets.map(([t]) => `${t} req/s`), 'Service ÷ process'], rows };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'crt-bench-cluster-'));
try {
  const all = [];
  for (const kind of planes) all.push(await figures(kind, dir));
  process.stdout.write(`${machine()}\n\n3 nodes, the demo, the quickstart's node timings:\n${figuresTable(all)}\n\n`);
  if (args.extras === 'true') await extras(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** The builtin-only figures: the Service proxy's throughput against the pod's, list and watch with many pods. */
async function extras(dir: string): Promise<void> {
  const { cluster, ms, core, kc } = await startup(dir);
  try {
    process.stdout.write(`builtin, start (3 nodes) + demo applied → all deployments available: ${fixed(ms, 0)} ms\n`);
    const rep = await replacement(cluster, core);
    process.stdout.write(`gateway pod deleted (grace 0) → replacement Ready (5 runs, demo readiness period 1 s): median ${fixed(pct(rep, 0.5), 0)} ms, max ${fixed(Math.max(...rep), 0)} ms  [target ≤ 1000 ms + readiness delay]\n\n`);
    process.stdout.write(`Service proxy (store, 1 replica) vs direct to its pod's process, pod gates ${podGates ? 'on' : 'off'}, ${connections} connections, ${durationSec} s each:\n`);
    const ratios = await proxyRatio(cluster);
    process.stdout.write(`${table(ratios.header, ratios.rows)}\n\n`);
    const lw = await listWatch(cluster, core, kc);
    process.stdout.write(`with ${podCount} more pods (${cluster.store.snapshot('pods').length} in all):\n`);
    process.stdout.write(`  list all pods (client-node, 30 times): p50 ${fixed(pct(lw.list, 0.5), 1)} ms, p99 ${fixed(pct(lw.list, 0.99), 1)} ms\n`);
    process.stdout.write(`  create → watch event (client-node Watch, 30 times): p50 ${fixed(pct(lw.watch, 0.5), 1)} ms, p99 ${fixed(pct(lw.watch, 0.99), 1)} ms\n`);
  } finally {
    await cluster.stop(2);
  }
}
