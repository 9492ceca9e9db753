import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/core/index.js';
import { runCrt } from './lib/crt-run.js';
import { fixed, machine, mib, ratio, table } from './lib/print.js';
import { autocannonCli, nginxVersion, wrk, wrkVersion, type CliThroughput } from './lib/tools.js';
import { NGINX_BIN, startNginx, startNodeTarget, type Target } from './servers.js';
import { headerValue } from '../src/load/autocannon/pacer.js';
import { Recorder } from '../src/load/recorder.js';

/**
 * Throughput of crt's autocannon engine (closed model, one generator) against the autocannon
 * CLI and wrk, on the same loopback targets, one tool after the other. Prints figures only.
 * Usage: npm run bench:load -- [--duration 10] [--connections 50] [--warmup 2] [--rounds 1] [--soak <minutes>]
 * With several rounds the tools take turns (crt, autocannon, wrk, crt, ...) and the median round is shown.
 * --served-by <header> adds crt counting the answers by that response header (load.servedBy), e.g.
 * `date` (both targets send it): its row against plain crt is the cost of reading the header.
 */
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    soak: { type: 'string' },
    'served-by': { type: 'string' },
  },
});
const durationSec = positive('duration', args.duration);
const connections = positive('connections', args.connections);
const warmupSec = positive('warmup', args.warmup);
const rounds = Math.round(positive('rounds', args.rounds));
const soakMin = args.soak === undefined ? null : positive('soak', args.soak);
const servedBy = args['served-by']?.toLowerCase() ?? null;

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${raw}`);
  return n;
}

interface Measured extends CliThroughput {
  tool: string;
  note: string;
}

async function measureCrt(url: string): Promise<Measured> {
  await runCrt({ url, connections, rateRps: null, durationMs: warmupSec * 1000 });
  const r = await runCrt({ url, connections, rateRps: null, durationMs: durationSec * 1000 });
  const note = `p50 ${fixed(r.stats.latency?.p50, 2)} ms, failed ${r.stats.failed}, generator ELU ${fixed(r.eluMean, 2)}, CPU ${fixed(r.cpuUsPerRequest, 1)} µs/req${r.errors.length ? `, errors: ${r.errors.join('; ')}` : ''}`;
  return { tool: 'crt engine', rps: r.stats.requests / durationSec, total: r.stats.requests, note };
}

async function measureCrtServedBy(url: string): Promise<Measured> {
  const header = servedBy as string;
  await runCrt({ url, connections, rateRps: null, durationMs: warmupSec * 1000, servedBy: header });
  const r = await runCrt({ url, connections, rateRps: null, durationMs: durationSec * 1000, servedBy: header });
  const values = Object.keys(r.stats.servedBy ?? {}).length;
  const note = `p50 ${fixed(r.stats.latency?.p50, 2)} ms, generator ELU ${fixed(r.eluMean, 2)}, CPU ${fixed(r.cpuUsPerRequest, 1)} µs/req, ${values} distinct ${header} values`;
  return { tool: `crt + servedBy ${header}`, rps: r.stats.requests / durationSec, total: r.stats.requests, note };
}

async function measureAutocannon(url: string): Promise<Measured> {
  await autocannonCli(url, connections, Math.ceil(warmupSec));
  return { tool: 'autocannon CLI', ...(await autocannonCli(url, connections, durationSec)), note: 'requests.average' };
}

async function measureWrk(url: string): Promise<Measured> {
  await wrk(url, connections, Math.ceil(warmupSec));
  return { tool: 'wrk -t1', ...(await wrk(url, connections, durationSec)), note: 'Requests/sec' };
}

async function benchTarget(target: Target, haveWrk: boolean): Promise<string[][]> {
  const tools = [measureCrt, ...(servedBy ? [measureCrtServedBy] : []), measureAutocannon, ...(haveWrk ? [measureWrk] : [])];
  process.stdout.write(`\n${target.name} (${target.url}): crt, autocannon${haveWrk ? ', wrk' : ''}, ${durationSec} s each after a ${warmupSec} s warm-up, ${rounds} round(s) ...\n`);
  const runs: Measured[][] = tools.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, measure] of tools.entries()) runs[i]!.push(await measure(target.url));
  }
  const [crt, ...others] = runs.map(median);
  if (rounds > 1) runs.forEach((rs) => process.stdout.write(`  ${rs[0]!.tool}: ${rs.map((m) => fixed(m.rps, 0)).join(', ')} req/s\n`));
  return [crt!, ...others].map((m) => [
    target.name, m.tool, fixed(m.rps, 0), m.total === null ? '-' : String(m.total),
    m === crt ? '' : ratio(crt!.rps, m.rps), m.note,
  ]);
}

function median(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)]!;
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

async function main(): Promise<void> {
  const wrkV = wrkVersion();
  process.stdout.write(`${machine()}\n`);
  process.stdout.write(`wrk: ${wrkV ?? 'absent (install it: apt-get install -y wrk)'}; nginx: ${nginxVersion(NGINX_BIN) ?? 'absent'}\n`);
  process.stdout.write(`closed model, ${connections} connections, ${durationSec} s per tool; crt req/s = requests completed / ${durationSec} s\n`);
  const targets: Target[] = [];
  try {
    targets.push(await startNodeTarget('node minimal', { kind: 'ok' }));
    const nginx = await startNginx();
    if (nginx) targets.push(nginx);
    else process.stdout.write(`nginx: absent (${NGINX_BIN} not found), skipping the nginx target\n`);
    const rows: string[][] = [];
    for (const t of targets) rows.push(...(await benchTarget(t, wrkV !== null)));
    process.stdout.write(`\n${table(['target', 'tool', 'req/s', 'requests', 'crt ÷ tool', 'note'], rows)}\n`);
    process.stdout.write(`crt ÷ tool > 1: crt faster. Every tool shares this machine's ${cpus().length} CPUs with the target: a generator ELU near 1 means ` +
      `the one crt generator thread is the bottleneck, lower means the target is. Single runs on a shared machine vary by 20 % and more: use --rounds 3.\n`);
    if (servedBy) process.stdout.write(`servedBy ${servedBy}, the work added per answer alone (header lookup + count, best of 5 × 1e6): ${fixed(servedByPathNs(servedBy), 0)} ns\n`);
    if (soakMin !== null) await soak(targets[0]!, soakMin);
  } finally {
    for (const t of targets) await t.stop();
  }
}

process.once('SIGINT', () => process.exit(130));
await main();
