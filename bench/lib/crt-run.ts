import { silentLogger, systemClock } from '../../src/core/index.js';
import { AutocannonEngine } from '../../src/load/autocannon/engine.js';
import type { LoadSpec } from '../../src/plan/types.js';
import { computeStats } from '../../src/results/stats.js';
import type { LoadSample, LoadStats } from '../../src/results/types.js';

export interface CrtRunOptions {
  url: string;
  connections: number;
  /** open model when set */
  rateRps: number | null;
  durationMs: number;
  timeoutMs?: number;
  /** count answers by this response header (load.servedBy) */
  servedBy?: string;
  /** generator threads, each with `connections` of its own (default 1) */
  generators?: number;
}

export interface CrtRun {
  stats: LoadStats;
  /** when the generator started its stage (the first intended send), on systemClock */
  stageStartMs: number;
  /** from start until every generator said done, including the drain of requests in flight */
  elapsedMs: number;
  errors: string[];
  /** mean event-loop utilization of the generator thread over its seconds (1 = saturated) */
  eluMean: number;
  /** largest send lag after the first second of the run: the schedule once connections are up */
  lagMaxAfterFirstSecMs: number;
  /** statistics without the first second (fresh generator thread, connections opening) */
  steady: LoadStats | null;
  /** start of the second second of the run, on systemClock: where `steady` begins */
  steadyFromMs: number;
  /** CPU time of this process (every thread, the generator's included) per completed request, µs: steadier than req/s on a busy machine */
  cpuUsPerRequest: number;
  /** generator seconds marked saturated */
  saturatedSamples: number;
}

export function benchSpec(o: CrtRunOptions): LoadSpec {
  return {
    engine: 'autocannon', target: null, url: o.url, path: '/', method: 'GET', headers: {}, body: null,
    timeoutMs: o.timeoutMs ?? 10_000, okStatus: [[200, 399]], servedBy: o.servedBy ?? null,
    stages: [{ index: 0, name: 'main', connections: o.connections, rateRps: o.rateRps, durationMs: o.durationMs, requests: null }],
    generators: o.generators ?? 1, staggerMs: 0, scenarioFile: null, description: null, script: null, k6Binary: 'k6', k6: { extraArgs: [], env: {} }, distributed: null, location: { file: 'bench', line: 1, col: 1, path: '' },
  };
}

/** One run of crt's AutocannonEngine (its generator threads), as the runner drives it, in this process. */
export async function runCrt(o: CrtRunOptions): Promise<CrtRun> {
  const engine = new AutocannonEngine();
  const prepared = await engine.prepare({ spec: benchSpec(o), targetName: 'bench', url: o.url, headers: {} }, { maxStageMs: o.durationMs, log: silentLogger });
  const origin = systemClock.now();
  const cpuBefore = process.cpuUsage();
  const samples: LoadSample[] = [];
  const errors: string[] = [];
  let stageStartMs = origin;
  for await (const m of prepared.start(origin, new AbortController().signal)) {
    if (m.type === 'samples') samples.push(...m.samples);
    else if (m.type === 'stage') stageStartMs = m.at;
    else if (m.type === 'error') errors.push(m.message);
  }
  const elapsedMs = systemClock.now() - origin;
  const cpu = process.cpuUsage(cpuBefore);
  const stats = computeStats(samples, o.durationMs / 1000);
  if (!stats) throw new Error(`the crt engine recorded nothing against ${o.url}${errors.length ? `: ${errors.join('; ')}` : ''}`);
  const eluMean = samples.reduce((sum, s) => sum + s.elu, 0) / samples.length;
  const firstSec = Math.min(...samples.map((s) => s.sec));
  const later = samples.filter((s) => s.sec > firstSec);
  const lagMaxAfterFirstSecMs = Math.max(0, ...later.map((s) => s.lagMaxMs));
  const steady = computeStats(later, o.durationMs / 1000 - 1);
  const cpuUsPerRequest = (cpu.user + cpu.system) / Math.max(1, stats.requests);
  const saturatedSamples = samples.filter((s) => s.saturated).length;
  return { stats, stageStartMs, elapsedMs, errors, eluMean, lagMaxAfterFirstSecMs, steady, steadyFromMs: origin + (firstSec + 1) * 1000, cpuUsPerRequest, saturatedSamples };
}
