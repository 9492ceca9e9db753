import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/core/index.js';
import { crtCli } from './lib/crt-cli.js';
import { runCrt } from './lib/crt-run.js';
import { pinProcess, pinTree, pinning } from './lib/pin.js';
import { fixed, machine, mib, ratio, table } from './lib/print.js';
import { autocannonCli, autocannonInProcess, hey, heyBin, nginxVersion, wrk, wrkVersion, type CliThroughput } from './lib/tools.js';
import { NGINX_BIN, startNginx, startNodeTarget, type Target } from './servers.js';
import { headerValue } from '../src/load/autocannon/pacer.js';
import { Recorder } from '../src/load/recorder.js';

/**
 * crt's autocannon engine against its peers, each through its CLI as a user runs it, on the same
 * loopback targets in the same run: crt (`crt run`, HDR histograms, file sink and reports on), the
 * autocannon CLI (the dependency's version), wrk -t1 and hey -cpus 1. With two cores or more the
 * target runs on core 0 and each tool on core 1 (one core each). The tools take turns, round after
 * round, and the median round of each is shown with crt's ratio to it. Then the generators table:
 * CPU time per request of crt's engine with 1, 2 and 4 generator threads against the same target,
 * which is what predicts how generators scale on a machine with the cores for them.
 *
 * Usage: npm run bench:load -- [--duration 8] [--connections 50] [--rounds 3] [--soak <minutes>]
 *        [--served-by <header>] [--no-peers] [--no-generators] [--generator-rate 2500]
 * Peers that are not installed are left out, and the header says how to install them:
 * `apt-get install -y wrk nginx`, `go install github.com/rakyll/hey@latest`.
 */
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    soak: { type: 'string' },
    'served-by': { type: 'string' },
    'no-peers': { type: 'boolean', default: false },
    'no-generators': { type: 'boolean', default: false },
    'generator-rate': { type: 'string', default: '2500' },
  },
});
const durationSec = positive('duration', args.duration);
const connections = positive('connections', args.connections);
const rounds = Math.round(positive('rounds', args.rounds));
const soakMin = args.soak === undefined ? null : positive('soak', args.soak);
const servedBy = args['served-by']?.toLowerCase() ?? null;
const generatorRate = positive('generator-rate', args['generator-rate']);
const pin = pinning();
const toolCpu = pin?.toolCpu ?? null;

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${raw}`);
  return n;
}

interface Measured extends CliThroughput {
  note: string;
}

interface Tool {
  name: string;
  measure(url: string): Promise<Measured>;
}

function peers(haveWrk: boolean, heyPath: string | null): Tool[] {
  const tools: Tool[] = [
    {
      name: 'crt run (CLI)',
      measure: async (url) => {
        const r = await crtCli(url, connections, durationSec, toolCpu);
        return { ...r, note: `p50 ${fixed(r.p50Ms, 2)} ms, ${r.limitedSecs} generator-limited s` };
      },
    },
    { name: 'autocannon CLI', measure: async (url) => ({ ...(await autocannonCli(url, connections, durationSec, toolCpu)), note: 'requests.average' }) },
  ];
  if (haveWrk) tools.push({ name: 'wrk -t1', measure: async (url) => ({ ...(await wrk(url, connections, durationSec, toolCpu)), note: 'Requests/sec' }) });
  if (heyPath) tools.push({ name: 'hey -cpus 1', measure: async (url) => ({ ...(await hey(heyPath, url, connections, durationSec, toolCpu)), note: 'Requests/sec' }) });
  if (servedBy) {
    tools.push({
      name: `crt engine + servedBy ${servedBy}`,
      measure: async (url) => {
        const r = await runCrt({ url, connections, rateRps: null, durationMs: durationSec * 1000, servedBy });
        return { rps: r.stats.requests / durationSec, total: r.stats.requests, note: `in this process, CPU ${fixed(r.cpuUsPerRequest, 1)} µs/req, ${Object.keys(r.stats.servedBy ?? {}).length} distinct values` };
      },
    });
  }
  return tools;
}

/** Rounds in which every tool runs once, the order rotated each round; the median round of each tool. */
async function takeTurns<T>(tools: Array<{ name: string; measure: () => Promise<T> }>, key: (t: T) => number): Promise<Array<{ name: string; median: T; all: T[] }>> {
  const runs: T[][] = tools.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < tools.length; k++) {
      const i = (k + r) % tools.length;
      runs[i]!.push(await tools[i]!.measure());
    }
  }
  return tools.map((t, i) => {
    const sorted = [...runs[i]!].sort((a, b) => key(a) - key(b));
    return { name: t.name, median: sorted[Math.floor((sorted.length - 1) / 2)]!, all: runs[i]! };
  });
}

async function benchPeers(target: Target, tools: Tool[]): Promise<string[][]> {
  process.stdout.write(`\n${target.name} (${target.url}): ${tools.map((t) => t.name).join(', ')}; ${durationSec} s each, ${rounds} round(s) taking turns ...\n`);
  await autocannonCli(target.url, connections, 2, toolCpu); // warms the target up
  const results = await takeTurns(tools.map((t) => ({ name: t.name, measure: () => t.measure(target.url) })), (m) => m.rps);
  for (const r of results) process.stdout.write(`  ${r.name}: ${r.all.map((m) => fixed(m.rps, 0)).join(', ')} req/s\n`);
  const crt = results[0]!.median;
  return results.map((r) => [target.name, r.name, fixed(r.median.rps, 0), r.median.total === null ? '-' : String(r.median.total), r === results[0] ? '' : ratio(crt.rps, r.median.rps), r.median.note]);
}

/**
 * CPU per request of crt's engine with 1, 2 and 4 generator threads against the same target, in
 * this process (unpinned: the threads may use every core). Open model: each generator sends
 * `--generator-rate` req/s, so every thread does the same work per second whatever their number,
 * and the target is not the limit. Flat µs/request means the generators share nothing per request:
 * on a machine with the cores for them, each adds its own core's worth of load. The closed-model
 * table beside it splits the same connections between the generators, as fast as the target
 * answers: there each thread gets fewer answers per wake-up as they grow in number.
 */
async function benchGenerators(target: Target): Promise<void> {
  const counts = [1, 2, 4];
  const perGen = Math.max(1, Math.round(connections / 4));
  process.stdout.write(`\ngenerators against ${target.name}, ${durationSec} s each, ${rounds} round(s) taking turns ...\n`);
  const open = await takeTurns(counts.map((g) => ({
    name: String(g),
    measure: () => runCrt({ url: target.url, connections: perGen, rateRps: generatorRate, durationMs: durationSec * 1000, generators: g }),
  })), (r) => r.cpuUsPerRequest);
  const closed = await takeTurns(counts.map((g) => ({
    name: String(g),
    measure: () => runCrt({ url: target.url, connections: Math.max(1, Math.round(connections / g)), rateRps: null, durationMs: durationSec * 1000, generators: g }),
  })), (r) => r.cpuUsPerRequest);
  const rows = (results: typeof open, conn: (g: number) => number) => results.map((r) => {
    const m = r.median;
    return [r.name, String(conn(Number(r.name))), fixed(m.stats.requests / durationSec, 0), fixed(m.cpuUsPerRequest, 1), ratio(m.cpuUsPerRequest, results[0]!.median.cpuUsPerRequest), fixed(m.eluMean, 2), String(m.saturatedSamples)];
  });
  const headers = ['generators', 'conn. each', 'req/s', 'CPU µs/req', 'vs 1 generator', 'mean ELU', 'saturated s'];
  process.stdout.write(`open model, ${generatorRate} req/s per generator:\n${table(headers, rows(open, () => perGen))}\n`);
  process.stdout.write(`closed model, ${connections} connections split between the generators:\n${table(headers, rows(closed, (g) => Math.max(1, Math.round(connections / g))))}\n`);
  process.stdout.write(`CPU µs/req: CPU time of the whole bench process (every generator thread and the main thread) ÷ answers; median round by it. ` +
    `${cpus().length} cores here, and the target needs one: req/s cannot grow linearly on this machine, µs/req says whether it would.\n`);
}

/**
 * The CPU each spends per answer, crt's engine (its generator thread and the runner's thread) and
 * the autocannon library, in this process on the tool core. Steadier than req/s when the target
 * (or a neighbour on its core) is the limit: then both tools idle part of the time, and req/s only
 * says how fast the target was.
 */
async function benchCpu(target: Target): Promise<void> {
  process.stdout.write(`\nCPU per answer in this process against ${target.name}, ${connections} connections, ${durationSec} s each, ${rounds} round(s) taking turns ...\n`);
  const results = await takeTurns([
    { name: 'crt engine', measure: async () => { const r = await runCrt({ url: target.url, connections, rateRps: null, durationMs: durationSec * 1000 }); return { rps: r.stats.requests / durationSec, total: r.stats.requests, cpuUsPerRequest: r.cpuUsPerRequest }; } },
    { name: 'autocannon library', measure: () => autocannonInProcess(target.url, connections, durationSec) },
  ], (r) => r.cpuUsPerRequest);
  const crt = results[0]!.median.cpuUsPerRequest;
  for (const r of results) process.stdout.write(`  ${r.name}: ${r.all.map((m) => fixed(m.cpuUsPerRequest, 1)).join(', ')} µs/req\n`);
  const rows = results.map((r) => [r.name, fixed(r.median.rps, 0), fixed(r.median.cpuUsPerRequest, 1), r === results[0] ? '' : ratio(r.median.cpuUsPerRequest, crt)]);
  process.stdout.write(`${table(['tool', 'req/s', 'CPU µs/req', 'tool ÷ crt'], rows)}\n`);
  process.stdout.write('tool ÷ crt > 1: crt spends less CPU per answer, so on a core of its own it answers faster than the tool.\n');
}

/** RSS of this process (the generator thread included) every 10 s while crt runs `soakMin` minutes. */
async function soak(target: Target, minutes: number): Promise<void> {
  process.stdout.write(`\nsoak: crt engine, c=${connections}, ${minutes} min against ${target.name}, RSS every 10 s ...\n`);
  const start = systemClock.now();
  const rss: Array<{ atSec: number; bytes: number }> = [];
  const sample = () => rss.push({ atSec: (systemClock.now() - start) / 1000, bytes: process.memoryUsage().rss });
  sample();
  const timer = setInterval(sample, 10_000);
  let run;
  try {
    run = await runCrt({ url: target.url, connections, rateRps: null, durationMs: minutes * 60_000 });
  } finally {
    clearInterval(timer);
  }
  // the last sample taken while the generator still ran: once it is done its thread is gone
  const end = rss[rss.length - 1]!;
  const minute1 = rss.reduce((best, s) => (Math.abs(s.atSec - 60) < Math.abs(best.atSec - 60) ? s : best));
  process.stdout.write(`${run.stats.requests} requests (${fixed(run.stats.rps, 0)} req/s), failed ${run.stats.failed}\n`);
  process.stdout.write(`RSS at ${fixed(minute1.atSec, 0)} s: ${mib(minute1.bytes)}; at the end (${fixed(end.atSec, 0)} s): ${mib(end.bytes)}; end ÷ minute 1 = ${ratio(end.bytes, minute1.bytes)}\n`);
  process.stdout.write(`RSS series (MiB): ${rss.map((s) => (s.bytes / 2 ** 20).toFixed(0)).join(' ')}; after the run: ${mib(process.memoryUsage().rss)}\n`);
}

/**
 * The servedBy work of one answer alone, in a loop: the header lookup in a raw header list like
 * the targets send, and the count in the Recorder. What it adds per answer, without the noise
 * of a whole load on a shared machine.
 */
function servedByPathNs(header: string): number {
  const raw = ['Date', 'Mon, 23 Nov 2026 18:00:00 GMT', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Content-Length', '2', 'X-Served-By', 'pod-7'];
  const origin = systemClock.now();
  const recorder = new Recorder(origin, 0, origin);
  const n = 1_000_000;
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) recorder.served(0, origin + (i % 1000), headerValue(raw, header));
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  return best;
}

async function startTargets(): Promise<Target[]> {
  const targets: Target[] = [await startNodeTarget('node minimal', { kind: 'ok' })];
  const nginx = await startNginx();
  if (nginx) targets.push(nginx);
  else process.stdout.write(`nginx: absent (${NGINX_BIN} not found), skipping the nginx target (apt-get install -y nginx)\n`);
  if (pin) for (const t of targets) if (t.pid !== undefined) pinTree(t.pid, pin.targetCpu);
  return targets;
}

async function main(): Promise<void> {
  const wrkV = wrkVersion();
  const heyPath = heyBin();
  process.stdout.write(`${machine()}\n`);
  process.stdout.write(`wrk: ${wrkV ?? 'absent (apt-get install -y wrk)'}; hey: ${heyPath ?? 'absent (go install github.com/rakyll/hey@latest)'}; nginx: ${nginxVersion(NGINX_BIN) ?? 'absent (apt-get install -y nginx)'}\n`);
  process.stdout.write(`${pin ? `one core each: targets on core ${pin.targetCpu}, each tool on core ${pin.toolCpu} (taskset)` : 'unpinned (one core, or no taskset)'}; closed model, ${connections} connections\n`);
  const targets = await startTargets();
  try {
    if (!args['no-peers']) {
      const tools = peers(wrkV !== null, heyPath);
      const rows: string[][] = [];
      for (const t of targets) rows.push(...(await benchPeers(t, tools)));
      process.stdout.write(`\n${table(['target', 'tool', 'req/s', 'requests', 'crt ÷ tool', 'note'], rows)}\n`);
      process.stdout.write('req/s: answers ÷ the duration (crt: from run.json); crt ÷ tool > 1: crt faster. Median of the rounds; a shared machine varies by 20 % and more between single runs.\n');
    }
    if (!args['no-peers']) {
      // this process on the tool core for the comparison, then on every core again for the generators
      if (pin) pinProcess(process.pid, pin.toolCpu);
      await benchCpu(targets[targets.length - 1]!);
      if (pin) pinProcess(process.pid, `0-${cpus().length - 1}`);
    }
    if (!args['no-generators']) await benchGenerators(targets[targets.length - 1]!);
    if (servedBy) process.stdout.write(`servedBy ${servedBy}, the work added per answer alone (header lookup + count, best of 5 × 1e6): ${fixed(servedByPathNs(servedBy), 0)} ns\n`);
    if (soakMin !== null) await soak(targets[0]!, soakMin);
  } finally {
    for (const t of targets) await t.stop();
  }
}

process.once('SIGINT', () => process.exit(130));
await main();
