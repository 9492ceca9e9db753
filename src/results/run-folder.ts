import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, Redactor, UsageError } from '../core/index.js';
import { RESULT_SCHEMA_VERSION, type ClusterEventRecord, type ClusterSampleRecord, type RunResult, type TimeseriesRecord } from './types.js';

export const RUN_FILES = {
  run: 'run.json',
  timeseries: 'timeseries.jsonl',
  events: 'events.jsonl',
  cluster: 'cluster.jsonl',
  journal: 'journal.jsonl',
  log: 'crt.log',
} as const;

/** `20261123-101502-demo-acceptance-3fa9`: sortable, readable, unique enough for a folder. */
export function newRunId(planName: string, now: Date, random: string): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${planName.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}-${random}`;
}

/** `redactor`: the run's secrets (src/core/redact.ts); without one, secret keys and URL credentials are still masked. */
export async function writeRunJson(dir: string, run: RunResult, redactor = new Redactor()): Promise<void> {
  await writeFile(path.join(dir, RUN_FILES.run), `${JSON.stringify(redactor.value(run), null, 2)}\n`);
}

/** What a run folder holds for the reporters; `cluster` is empty when the run had no cluster. */
export interface RunFolder {
  run: RunResult;
  timeseries: TimeseriesRecord[];
  cluster: ClusterSampleRecord[];
  /** the key Kubernetes Events of cluster.jsonl (its `kind: event` lines) */
  clusterEvents: ClusterEventRecord[];
}

/** Reads a run folder back (for `crt report`): run.json, the time series and the cluster samples (optional). */
export async function readRunFolder(dir: string): Promise<RunFolder> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RUN_FILES.run), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${dir} is not a run folder: ${RUN_FILES.run} ${code === 'ENOENT' ? 'not found' : `unreadable (${code})`}`, {
      hint: 'give the folder a run wrote under reports/, e.g. crt report reports/<run-id>',
    });
  }
  let run: RunResult;
  try {
    run = JSON.parse(text) as RunResult;
  } catch (err) {
    throw new UsageError(`${path.join(dir, RUN_FILES.run)} is not valid JSON: ${(err as Error).message}`);
  }
  if (run.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new UsageError(`${path.join(dir, RUN_FILES.run)} has result schema ${String(run.schemaVersion)}; this crt reads ${RESULT_SCHEMA_VERSION}`);
  }
  const cluster = await readClusterLines(path.join(dir, RUN_FILES.cluster));
  return { run, timeseries: await readJsonLines<TimeseriesRecord>(path.join(dir, RUN_FILES.timeseries)), ...cluster };
}

/** cluster.jsonl: the watch's samples and its key Kubernetes Events (`kind: event`), apart. */
export async function readClusterLines(file: string): Promise<{ cluster: ClusterSampleRecord[]; clusterEvents: ClusterEventRecord[] }> {
  const lines = await readJsonLines<ClusterSampleRecord | ClusterEventRecord>(file);
  return {
    cluster: lines.filter((l): l is ClusterSampleRecord => l.kind !== 'event'),
    clusterEvents: lines.filter((l): l is ClusterEventRecord => l.kind === 'event'),
  };
}

/** A JSON-lines file of the run folder; a missing file is an empty one (no load, no cluster). */
async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new EnvironmentError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a run killed mid-write leaves a torn last line: skip it, say where
      if (i < text.split('\n').length - 2) throw new UsageError(`${file}:${i + 1}: not a JSON line`);
    }
  });
  return out;
}
