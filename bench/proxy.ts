import { execFile, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify, parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PodGate, ServiceProxy } from '../src/localcluster/network/index.js';
import { fixed, machine, ratio, table } from './lib/print.js';
import { wrkVersion } from './lib/tools.js';

/**
 * Cost of the embedded cluster's Service proxy: req/s and latency of a tiny node:http server in its
 * own process (a pod on 127.20.99.1), measured directly and through a ServiceProxy on 127.20.0.1
 * hosted three ways: on this process's main thread, in a worker thread, in a child process; and (`gate`)
 * a per-pod ingress gate on the main thread instead, the path of direct pod-IP traffic in the embedded
 * cluster, where the pod listens on a private address (here 127.20.99.1) and its gate on its pod IP
 * (127.20.99.2). The load
 * comes from the autocannon CLI and wrk, each in its own process. Prints figures only.
 * Usage: node dist/bench/proxy.js [--duration 10] [--connections 50] [--warmup 2] [--rounds 1]
 *   [--hosts main,worker,child,gate] [--pod-work-us 0] [--busy-main-ms 0] [--pin]
 * --pod-work-us: the pod computes that long per request, as a real handler would.
 * --busy-main-ms: this process's main thread blocks that long every 100 ms, as the embedded cluster's
 *   API server and controllers would when they serialise a large list or reconcile a burst of events.
 * --pin: pod and load generator on CPU 0, the proxy (this process, its workers and children) on CPU 1.
 * This file is also the pod (`serve`) and the proxy host of the worker and child modes.
 */
const POD_IP = '127.20.99.1';
const SERVICE_IP = '127.20.0.1';
/** where the pod gate of the `gate` host listens, forwarding to the pod on POD_IP */
const GATED_POD_IP = '127.20.99.2';
const SELF = fileURLToPath(import.meta.url);
const AUTOCANNON_CLI = fileURLToPath(new URL('../../node_modules/.bin/autocannon', import.meta.url));
const run = promisify(execFile);

type HostMode = 'main' | 'worker' | 'child' | 'gate';
type Path = 'direct' | HostMode;
type HostRequest = { cmd: 'mark' | 'usage' | 'stop' };
type HostMessage = { type: 'listening'; port: number } | ({ type: 'usage' } & Usage) | { type: 'stopped' };

interface Figures { rps: number; requests: number; p50Ms: number; p99Ms: number; errors: number }

/** Since the last mark: the busy share of the event loop, and the CPU time of the whole process. */
interface Usage { elu: number; cpuUs: number }

/** A ServiceProxy or the pod somewhere else, forwarding or serving; reports its usage since `mark`. */
interface Host {
  /** where to send the load; the Service IP when absent */
  address?: string;
  port: number;
  mark(): Promise<void>;
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

/** Usage since the last mark, of this thread's event loop and of this process's CPU. */
function usageMeter(): { mark(): void; read(): Usage } {
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  return {
    mark: () => {
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
    },
    read: () => {
      const used = process.cpuUsage(cpu);
      return { elu: performance.eventLoopUtilization(elu).utilization, cpuUs: used.user + used.system };
    },
  };
}

/** Answers a parent's mark, usage and stop requests; `stop` runs `close` first. */
function answer(send: (m: HostMessage) => void, onRequest: (fn: (r: HostRequest) => void) => void, close: () => Promise<void>): void {
  const meter = usageMeter();
  onRequest((r) => {
    if (r.cmd === 'mark') meter.mark();
    if (r.cmd === 'usage') send({ type: 'usage', ...meter.read() });
    if (r.cmd === 'stop') void close().then(() => send({ type: 'stopped' }));
  });
}

/** Keeps the thread busy for `us` microseconds: CPU work that no I/O can interleave with. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

async function serve(workUs: number): Promise<void> {
  const server = http.createServer((_req, res) => {
    if (workUs > 0) spin(workUs);
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, POD_IP, resolve));
  answer((m) => process.send?.(m), (fn) => process.on('message', fn), async () => undefined);
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port } satisfies HostMessage);
  process.once('disconnect', () => {
    server.closeAllConnections();
    server.close();
  });
}

function podProxy(backendPort: number): ServiceProxy {
  const proxy = new ServiceProxy();
  proxy.setBackends([{ ip: POD_IP, port: backendPort, name: 'pod' }]);
  return proxy;
}

async function hostProxy(backendPort: number, send: (m: HostMessage) => void, onRequest: (fn: (r: HostRequest) => void) => void): Promise<void> {
  const proxy = podProxy(backendPort);
  answer(send, onRequest, () => proxy.close());
  send({ type: 'listening', port: await proxy.listen(SERVICE_IP, 0) });
}

async function mainThreadHost(backendPort: number): Promise<Host> {
  const proxy = podProxy(backendPort);
  const meter = usageMeter();
  const port = await proxy.listen(SERVICE_IP, 0);
  return { port, mark: async () => meter.mark(), usage: async () => meter.read(), stop: () => proxy.close() };
}

/**
 * A per-pod ingress gate on the main thread, alone: the embedded cluster's path for direct pod-IP
 * traffic (the Service proxies dial a gated pod's private address themselves).
 */
async function gatedHost(backendPort: number): Promise<Host> {
  const gate = new PodGate({ podIP: GATED_POD_IP, bindIP: POD_IP, name: 'pod', gate: () => 'allow' });
  const failed = await gate.open([backendPort]);
  if (failed.length > 0) throw failed[0]!.error;
  const meter = usageMeter();
  return { address: GATED_POD_IP, port: backendPort, mark: async () => meter.mark(), usage: async () => meter.read(), stop: () => gate.close() };
}

/** Drives a host in a worker or a child process through its messages. */
async function remoteHost(endpoint: Worker | ChildProcess, send: (r: HostRequest) => void): Promise<Host> {
  const next = async <T extends HostMessage['type']>(type: T) => {
    for (;;) {
      const [m] = (await once(endpoint, 'message', { signal: AbortSignal.timeout(10_000) })) as [HostMessage];
      if (m.type === type) return m as Extract<HostMessage, { type: T }>;
    }
  };
  const ask = async <T extends HostMessage['type']>(cmd: HostRequest['cmd'], reply: T) => {
    const answered = next(reply);
    send({ cmd });
    return answered;
  };
  const { port } = await next('listening');
  return {
    port,
    mark: async () => send({ cmd: 'mark' }),
    usage: async () => ask('usage', 'usage'),
    stop: async () => {
      await ask('stop', 'stopped');
      if (endpoint instanceof Worker) await endpoint.terminate();
      else if (endpoint.connected) endpoint.disconnect();
    },
  };
}

async function startHost(mode: HostMode, backendPort: number): Promise<Host> {
  if (mode === 'main') return mainThreadHost(backendPort);
  if (mode === 'gate') return gatedHost(backendPort);
  if (mode === 'worker') {
    const worker = new Worker(SELF, { workerData: { backendPort } });
    return remoteHost(worker, (r) => worker.postMessage(r));
  }
  const child = fork(SELF, ['proxy', String(backendPort)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return remoteHost(child, (r) => child.send(r));
}

/** A load generator's command line: on CPU 0 with the pod when pinned. */
const generator = (o: Options, cmd: string, args: string[]): [string, string[]] => (o.pin ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args]);

async function autocannon(url: string, o: Options, durationSec: number): Promise<Figures> {
  const { stdout } = await run(...generator(o, AUTOCANNON_CLI, ['-c', String(o.connections), '-d', String(durationSec), '-j', url]), { maxBuffer: 16 << 20 });
  const j = JSON.parse(stdout) as { duration: number; errors: number; non2xx: number; latency: { p50: number; p99: number }; requests: { total: number } };
  return { rps: j.requests.total / j.duration, requests: j.requests.total, p50Ms: j.latency.p50, p99Ms: j.latency.p99, errors: j.errors + j.non2xx };
}

async function wrk(url: string, o: Options, durationSec: number): Promise<Figures> {
  const { stdout } = await run(...generator(o, 'wrk', ['-t1', `-c${o.connections}`, `-d${durationSec}s`, '--latency', url]));
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (rps === undefined) throw new Error(`no Requests/sec in wrk's output:\n${stdout}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)?.slice(1).map(Number) ?? [];
  errors.push(Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0));
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  return { rps: Number(rps), requests, p50Ms: wrkPercentile(stdout, '50'), p99Ms: wrkPercentile(stdout, '99'), errors: errors.reduce((a, b) => a + b) };
}

/** `     99%    1.23ms` in wrk's latency distribution, in milliseconds. */
function wrkPercentile(stdout: string, p: string): number {
  const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(stdout);
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]!]!;
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      hosts: { type: 'string', default: 'main,worker,child' },
      'pod-work-us': { type: 'string', default: '0' },
      'busy-main-ms': { type: 'string', default: '0' },
      pin: { type: 'boolean', default: false },
    },
  });
  const hosts = values.hosts.split(',').filter((h) => h !== '');
  for (const h of hosts) if (!['main', 'worker', 'child', 'gate'].includes(h)) throw new Error(`--hosts takes main, worker, child and gate, not ${h}`);
  return {
    durationSec: num('duration', values.duration), connections: num('connections', values.connections), warmupSec: num('warmup', values.warmup),
    rounds: Math.round(num('rounds', values.rounds)), hosts: hosts as HostMode[],
    podWorkUs: num('pod-work-us', values['pod-work-us'], true), busyMainMs: Math.min(100, num('busy-main-ms', values['busy-main-ms'], true)),
    pin: values.pin,
  };
}

type Options = ReturnType<typeof options>;

function num(name: string, raw: string, zeroAllowed = false): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroAllowed)) {
    throw new Error(`--${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, not ${raw}`);
  }
  return n;
}

type Tool = (url: string, o: Options, durationSec: number) => Promise<Figures>;

interface Measured extends Figures {
  /** CPU time per request of the pod's process, and of the proxy's (null when direct) */
  podCpuUs: number;
  proxyCpuUs: number | null;
  proxyElu: number | null;
}

/** One warm-up and one measured run of `tool` along `path`; the proxy host lives only for this run. */
async function measure(o: Options, tool: Tool, path: Path, pod: Host): Promise<Measured> {
  const host = path === 'direct' ? null : await startHost(path, pod.port);
  try {
    const url = host ? `http://${host.address ?? SERVICE_IP}:${host.port}/` : `http://${POD_IP}:${pod.port}/`;
    await tool(url, o, Math.ceil(o.warmupSec));
    await Promise.all([pod.mark(), host?.mark()]);
    const figures = await tool(url, o, o.durationSec);
    const [podUsage, proxyUsage] = await Promise.all([pod.usage(), host?.usage()]);
    return {
      ...figures, podCpuUs: podUsage.cpuUs / figures.requests,
      proxyCpuUs: proxyUsage ? proxyUsage.cpuUs / figures.requests : null, proxyElu: proxyUsage?.elu ?? null,
    };
  } finally {
    await host?.stop();
  }
}

async function benchTool(o: Options, name: string, tool: Tool, pod: Host): Promise<string[][]> {
  const paths: Path[] = ['direct', ...o.hosts];
  process.stdout.write(`\n${name}: ${paths.join(', ')}; ${o.durationSec} s each after a ${o.warmupSec} s warm-up, ${o.rounds} round(s) ...\n`);
  const runs = paths.map(() => [] as Measured[]);
  for (let r = 0; r < o.rounds; r++) {
    for (const [i, path] of paths.entries()) runs[i]!.push(await measure(o, tool, path, pod));
  }
  if (o.rounds > 1) paths.forEach((p, i) => process.stdout.write(`  ${p}: ${runs[i]!.map((f) => fixed(f.rps, 0)).join(', ')} req/s\n`));
  const [direct, ...proxied] = runs.map((rs) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor((rs.length - 1) / 2)]!);
  return [direct!, ...proxied].map((f, i) => [
    name, paths[i] === 'direct' ? 'direct' : paths[i] === 'gate' ? 'pod gate on main' : `proxy on ${paths[i]}`, fixed(f.rps, 0), fixed(f.p50Ms, 2), fixed(f.p99Ms, 2),
    String(f.errors), fixed(f.podCpuUs, 1), fixed(f.proxyCpuUs, 1), fixed(f.proxyElu, 2), i === 0 ? '' : ratio(f.rps, direct!.rps),
  ]);
}

/** The pod: a node:http server in a child process, so that it has a core of its own as a pod would. */
function startPod(workUs: number, pin: boolean): Promise<Host> {
  // fork runs `execPath ...execArgv SELF args`: `taskset -c 0 node SELF serve` keeps the IPC channel
  const pinned = pin ? { execPath: 'taskset', execArgv: ['-c', '0', process.execPath] } : {};
  const child = fork(SELF, ['serve', String(workUs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...pinned });
  return remoteHost(child, (r) => child.send(r));
}

async function main(): Promise<void> {
  const o = options();
  const wrkV = wrkVersion();
  process.stdout.write(`${machine()}\n`);
  process.stdout.write(`wrk: ${wrkV ?? 'absent (install it: apt-get install -y wrk)'}\n`);
  process.stdout.write(`pod: node:http answering "ok" after ${o.podWorkUs} µs of work, in a child process on ${POD_IP}; Service proxy on ${SERVICE_IP}; ` +
    `closed model, ${o.connections} keep-alive connections; main thread busy ${o.busyMainMs} ms every 100 ms; ` +
    `${o.pin ? 'pinned: pod and generator on CPU 0, proxy on CPU 1' : 'not pinned'}\n`);
  // every thread of this process, and every thread or child it starts later, inherits CPU 1
  if (o.pin) await run('taskset', ['-a', '-p', '-c', '1', String(process.pid)]);
  const pod = await startPod(o.podWorkUs, o.pin);
  const busy = o.busyMainMs > 0 ? setInterval(() => spin(o.busyMainMs * 1000), 100) : null;
  try {
    const rows = await benchTool(o, 'autocannon', autocannon, pod);
    if (wrkV !== null) rows.push(...(await benchTool(o, 'wrk -t1', wrk, pod)));
    const header = ['tool', 'path', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'pod CPU µs/req', 'proxy CPU µs/req', 'proxy ELU', 'proxy ÷ direct'];
    process.stdout.write(`\n${table(header, rows)}\n`);
    process.stdout.write(`target: proxy ÷ direct ≥ 0.80; medians of the rounds by req/s. autocannon req/s = requests / measured duration, latency ` +
      `in whole ms. CPU µs/req = user + system CPU of that process ÷ requests (main and worker: the bench process's, busy main thread included); ` +
      `proxy ELU = busy share of the proxy's event loop. Pod, proxy and generator share ${cpus().length} CPUs with whatever else runs here.\n`);
  } finally {
    if (busy) clearInterval(busy);
    await pod.stop();
  }
}

if (!isMainThread) {
  const port = parentPort!;
  await hostProxy((workerData as { backendPort: number }).backendPort, (m) => port.postMessage(m), (fn) => port.on('message', fn));
} else if (process.argv[2] === 'serve') {
  await serve(Number(process.argv[3]));
} else if (process.argv[2] === 'proxy') {
  process.once('disconnect', () => process.exit(0));
  await hostProxy(Number(process.argv[3]), (m) => process.send?.(m), (fn) => process.on('message', fn));
} else {
  process.once('SIGINT', () => process.exit(130));
  await main();
}
