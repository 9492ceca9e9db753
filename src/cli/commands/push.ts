import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, UsageError, type ExitCodeValue, type Logger } from '../../core/index.js';
import {
  InfluxWriter, SPOOL_FILE, Spool, UniqueTimes, casePoint, clusterEventPoint, clusterPoint, describeInfluxConfig, eventPoint, resolveInfluxConfig, samplePoints, type CrtPoint,
} from '../../metrics/index.js';
import type { SinksDoc } from '../../plan/index.js';
import { readRunFolder, RUN_FILES, writeRunJson, type ClusterEventRecord, type ClusterSampleRecord, type EventRecord, type RunResult, type TimeseriesRecord } from '../../results/index.js';
import type { CliIO } from '../io.js';

export interface PushFlags {
  influxUrl?: string;
  database?: string;
  all: boolean;
}

/**
 * `crt push <run>`: writes to InfluxDB what a run could not (its spool), or with `--all` the whole run
 * from its files. Points carry the same tags and timestamps as the live sink's, so pushing twice, or
 * pushing what already landed, overwrites points with themselves.
 */
export async function pushCommand(dir: string, flags: PushFlags, io: CliIO, log: Logger): Promise<ExitCodeValue> {
  const { run, timeseries } = await readRunFolder(dir);
  const planSinks = (run.plan.resolved as { sinks?: SinksDoc } | null)?.sinks;
  const doc = planSinks?.influx;
  const config = resolveInfluxConfig(doc ? { ...doc, ...(flags.database ? { database: flags.database } : {}) } : undefined, {
    url: flags.influxUrl,
    env: flags.database ? { ...process.env, CRT_INFLUX_DATABASE: flags.database } : process.env,
    baseDir: path.dirname(run.plan.file),
  });
  if (!config) {
    throw new UsageError('no InfluxDB to push to', { hint: 'give --influx-url or set CRT_INFLUX_URL (the plan of this run has no sinks.influx)' });
  }
  const writer = new InfluxWriter(config);
  await writer.check();
  log.info({ push: dir, ...describeInfluxConfig(config) }, 'crt push');
  const spool = new Spool(path.join(dir, SPOOL_FILE));
  const spooled = await spool.load();
  const points = flags.all ? await runPoints(dir, run, timeseries) : await spool.readAll();
  if (points.length === 0) {
    io.stderr.write(`nothing to push: ${flags.all ? 'the run folder holds no records' : `no ${SPOOL_FILE} in ${dir} (use --all to push the whole run)`}\n`);
    return ExitCode.passed;
  }
  let written = 0;
  try {
    await writer.write(points, (n) => (written += n));
  } finally {
    // what landed leaves the spool; with --all the spool's points were among those written
    if (!flags.all) await spool.replace(points.slice(written));
    else if (written === points.length && spooled > 0) await spool.replace([]);
  }
  if (spooled > 0) await markPushed(dir, run, written);
  io.stderr.write(`pushed ${written} points to ${config.url} database ${config.database}\n`);
  io.stdout.write(`${written}\n`);
  return ExitCode.passed;
}

/** Every point of a run, rebuilt from its files in the order the live sink saw them. */
async function runPoints(dir: string, run: RunResult, timeseries: TimeseriesRecord[]): Promise<CrtPoint[]> {
  const times = new UniqueTimes();
  const plan = run.plan.name;
  return [
    ...timeseries.flatMap((r) => samplePoints(r, plan, times)),
    ...(await readJsonl<EventRecord>(path.join(dir, RUN_FILES.events))).map((r) => eventPoint(r, plan, times)),
    ...(await readJsonl<ClusterSampleRecord | ClusterEventRecord>(path.join(dir, RUN_FILES.cluster))).map((r) => (r.kind === 'event' ? clusterEventPoint(r, plan, times) : clusterPoint(r, plan, times))),
    ...run.cases.map((c) => casePoint(run.runId, plan, c, times)),
  ];
}

async function readJsonl<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: T[] = [];
  lines.forEach((line, i) => {
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a run killed mid-write leaves a torn last line
      if (i < lines.length - 1) throw new UsageError(`${file}:${i + 1}: not a JSON line`);
    }
  });
  return out;
}

/** run.json says the spool was pushed later, so the report no longer claims points are missing. */
async function markPushed(dir: string, run: RunResult, written: number): Promise<void> {
  const sink = run.sinks.find((s) => s.name === 'influx');
  if (!sink) return;
  if (sink.status === 'failed') sink.status = 'degraded';
  sink.written += written;
  sink.errors.push(`${written} spooled points pushed later by crt push at ${new Date().toISOString()}`);
  await writeRunJson(dir, run);
}
