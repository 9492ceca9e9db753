import type { LoadSpec } from '../plan/index.js';
import { AutocannonEngine } from './autocannon/engine.js';
import type { GeneratorMessage } from './engine.js';
import type { Logger } from '../core/index.js';

/**
 * One load worker of a distributed load (`crt worker`, a pod of an Indexed Job): the whole
 * load of the case, from its own process, with second 0 at the instant the runner chose for
 * every worker. Its messages go to stdout as JSON lines, which the runner reads from the pod's
 * log and merges exactly (the histograms travel whole).
 */
export interface WorkerConfig {
  url: string;
  headers: Record<string, string>;
  spec: LoadSpec;
  /** second 0 of every worker, epoch ms (wall clock: workers on other machines share it through NTP) */
  startAtMs: number;
  maxStageMs: number;
}

/** The environment variable that carries a worker's WorkerConfig as JSON. */
export const WORKER_CONFIG_ENV = 'CRT_WORKER';
/** Marks crt's lines in a pod log: anything else (a runtime warning) is skipped. */
const MARK = 'crt-worker';

export function formatWorkerLine(m: GeneratorMessage): string {
  // the final samples message says every second is final: Infinity, which JSON cannot hold
  const data = m.type === 'samples' && !Number.isFinite(m.upToSec) ? { ...m, upToSec: -1 } : m;
  return JSON.stringify({ [MARK]: 1, ...data });
}

/** A worker's line back into its message with `generator` = the worker's index; null for other lines. */
export function parseWorkerLine(line: string, generator: number): GeneratorMessage | null {
  if (!line.startsWith(`{"${MARK}":1`)) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { [MARK]: _mark, ...m } = parsed;
  if (m.type === 'samples' && m.upToSec === -1) m.upToSec = Infinity;
  const msg = { ...m, generator } as GeneratorMessage;
  if (msg.type === 'samples') msg.samples = msg.samples.map((s) => ({ ...s, generator }));
  return msg;
}

/** Runs a worker's load to its end (or until `signal` aborts), writing each message as a line. */
export async function runLoadWorker(config: WorkerConfig, log: Logger, signal: AbortSignal, write: (line: string) => void): Promise<void> {
  const spec: LoadSpec = { ...config.spec, generators: 1, staggerMs: 0, distributed: null, engine: 'autocannon' };
  const prepared = await new AutocannonEngine().prepare({ spec, targetName: 'worker', url: config.url, headers: config.headers }, { maxStageMs: config.maxStageMs, log });
  for await (const m of prepared.start(config.startAtMs, signal)) write(formatWorkerLine(m));
}
