import { silentLogger, systemClock } from '../../src/core/index.js';
import { AutocannonEngine } from '../../src/load/autocannon/engine.js';
import type { LoadSpec, StageSpec } from '../../src/plan/types.js';
import { computeStats } from '../../src/results/stats.js';
import type { LoadSample, LoadStats } from '../../src/results/types.js';

export function stage(s: Partial<StageSpec>): StageSpec {
  return { index: 0, name: 'main', connections: 4, rateRps: null, durationMs: 2000, requests: null, ...s };
}

export function loadSpec(over: Partial<LoadSpec> = {}): LoadSpec {
  return {
    engine: 'autocannon', target: null, url: null, path: '/', method: 'GET', headers: {}, body: null,
    timeoutMs: 5000, okStatus: [[200, 399]], servedBy: null, stages: [stage({})], generators: 1, staggerMs: 0,
    scenarioFile: null, description: null, script: null, k6Binary: 'k6', k6: { extraArgs: [], env: {} }, distributed: null, location: { file: 't', line: 1, col: 1, path: '' }, ...over,
  };
}

export interface LoadRun {
  samples: LoadSample[];
  stats: LoadStats;
  messages: string[];
  elapsedMs: number;
}

/** Runs a load with the real engine (worker threads, autocannon) against `url`. */
export async function runLoad(url: string, spec: LoadSpec, opts: { abortAfterMs?: number } = {}): Promise<LoadRun> {
  const engine = new AutocannonEngine();
  const prepared = await engine.prepare({ spec, targetName: 't', url, headers: {} }, { maxStageMs: 60_000, log: silentLogger });
  const controller = new AbortController();
  if (opts.abortAfterMs !== undefined) setTimeout(() => controller.abort(), opts.abortAfterMs);
  const origin = systemClock.now();
  const samples: LoadSample[] = [];
  const messages: string[] = [];
  for await (const m of prepared.start(origin, controller.signal)) {
    if (m.type === 'samples') samples.push(...m.samples);
    else messages.push(m.type === 'error' ? `error ${m.message}` : `${m.type} ${m.generator}`);
  }
  const elapsedMs = systemClock.now() - origin;
  const seconds = spec.stages.reduce((s, st) => s + (st.durationMs ?? 0), 0) / 1000;
  return { samples, stats: computeStats(samples, seconds) as LoadStats, messages, elapsedMs };
}
