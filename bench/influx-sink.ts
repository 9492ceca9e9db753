import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger, systemClock } from '../src/core/index.js';
import { FileJournalStore, Journal } from '../src/faults/index.js';
import { FileSink, InfluxSink, InfluxWriter, SinkSet, UniqueTimes, loadPoint, type CrtPoint, type Sink } from '../src/metrics/index.js';
import { loadPlan, selectAll } from '../src/plan/index.js';
import { runPlan } from '../src/runner/index.js';
import { sample } from '../test/helpers/samples.js';
import { Influxd } from '../test/helpers/influxd.js';
import { fixed, machine, ratio, table } from './lib/print.js';
import { startNodeTarget } from './servers.js';

/**
 * The InfluxDB sink's cost. (1) points/s that InfluxWriter gets into a real influxd 1.x in batches;
 * (2) req/s of a whole crt run (runner, closed model, one generator) on a loopback Node server
 * without and with the InfluxDB sink, one run each. Prints figures only.
 * Usage: npm run bench:influx -- [--points 200000] [--duration 10] [--connections 50] [--influx-url http://…]
 * Without --influx-url it starts influxd (apt-get install influxdb) on a temp folder.
 */
const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '200000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'influx-url': { type: 'string' },
  },
});
const pointCount = Number(args.points);
const durationSec = Number(args.duration);
const connections = Number(args.connections);

/**
 * `n` distinct crt_load points: 10 generators × n/10 seconds of one case. One real point is converted
 * (decoding its HDR histogram takes about 1 ms) and copied with other timestamps and generators.
 */
function points(n: number): CrtPoint[] {
  const template = loadPoint({ ...sample(0, 950, 50, { latencyMs: 12 }), run: 'bench', case: 'B-1', layer: 'logical', phase: 'baseline', target: 'srv' }, 'bench', new UniqueTimes());
  const origin = Date.UTC(2026, 0, 1) * 1000;
  return Array.from({ length: n }, (_, i) => ({
    ...template,
    tags: { ...template.tags, generator: String(i % 10) },
    timestamp: origin + Math.floor(i / 10) * 1_000_000,
  }));
}

async function writeThroughput(url: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (const batchSize of [1000, 5000]) {
    const writer = new InfluxWriter({ url, database: `bench_${batchSize}` }, { batchSize, requestTimeoutMs: 30_000 });
    await writer.check();
    const all = points(pointCount);
    const t0 = systemClock.now();
    await writer.write(all);
    const sec = (systemClock.now() - t0) / 1000;
    rows.push([`InfluxWriter, batches of ${batchSize}`, String(pointCount), fixed(sec, 2), fixed(pointCount / sec, 0)]);
  }
  return rows;
}

async function crtRun(targetUrl: string, influxUrl: string | null): Promise<{ rps: number; sink: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crt-bench-influx-'));
  try {
    const file = path.join(dir, 'plan.yaml');
    await writeFile(file, `apiVersion: crt/v1\nmetadata: {name: bench}\ntargets:\n  srv: {url: "${targetUrl}"}\nlayers:\n  logical:\n    - {id: B-1, title: bench, objective: throughput, load: {target: srv, connections: ${connections}, duration: ${durationSec}s}}\n`);
    const { plan } = loadPlan(file, {});
    const extra: Sink[] = influxUrl ? [new InfluxSink({ config: { url: influxUrl, database: 'bench_run' }, plan: 'bench', dir, log: silentLogger })] : [];
    const sinks = new SinkSet([new FileSink(dir), ...extra], silentLogger);
    await sinks.open();
    const { result } = await runPlan(plan, plan.cases, {
      runId: 'bench', dir, clock: systemClock, log: silentLogger, signal: new AbortController().signal, sinks,
      journal: new Journal('bench', [new FileJournalStore(path.join(dir, 'journal.jsonl'))]), observer: {}, selection: selectAll, command: 'bench',
    });
    await sinks.close();
    const whole = result.cases[0]?.phases.find((p) => p.name === 'whole')?.stats;
    const influx = sinks.status().find((s) => s.name === 'influx');
    return { rps: whole?.rps ?? 0, sink: influx ? `${influx.status}, ${influx.written} points` : '-' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.stdout.write(`${machine()}\n`);
  const influxd = args['influx-url'] ? null : await Influxd.start();
  const url = args['influx-url'] ?? influxd!.url;
  const target = await startNodeTarget('node', { kind: 'ok' });
  try {
    process.stdout.write(`\nwrites: ${pointCount} crt_load points into ${url} ...\n`);
    process.stdout.write(`${table(['writer', 'points', 'seconds', 'points/s'], await writeThroughput(url))}\n`);
    process.stdout.write(`\ncrt run, closed model c=${connections}, ${durationSec} s, one generator, Node server (${target.url}) ...\n`);
    const without = await crtRun(target.url, null);
    const withSink = await crtRun(target.url, url);
    process.stdout.write(`${table(['sinks', 'req/s', 'ratio', 'influx sink'], [
      ['files', fixed(without.rps, 0), '', without.sink],
      ['files + influx', fixed(withSink.rps, 0), ratio(withSink.rps, without.rps), withSink.sink],
    ])}\n`);
  } finally {
    await target.stop();
    await influxd?.destroy();
  }
}

await main();
