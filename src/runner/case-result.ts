import { availableParallelism } from 'node:os';
import { formatDuration, formatPercent } from '../core/index.js';
import type { ResolvedLoad } from '../load/index.js';
import type { CaseSpec } from '../plan/index.js';
import { capServedBy, computeStats, MAX_SERVED_BY_VALUES, mergeBySecond, SERVED_BY_OTHER, type ExpectationResult, type LoadInfo, type PhaseResult, type StageResult, type TimeseriesRecord, type Verdict } from '../results/index.js';
import type { LoadOutcome } from './case-load.js';
import type { PhaseTracker } from './phases.js';

const LAG_WARNING_MS = 100;

/** Statistics of each phase and of the whole load, from the samples tagged as they arrived. */
export function phaseResults(records: readonly TimeseriesRecord[], tracker: PhaseTracker, endMs: number): PhaseResult[] {
  const windows = tracker.windows(endMs);
  const out: PhaseResult[] = windows.map((w) => ({
    name: w.name,
    startMs: w.startMs,
    endMs: w.endMs,
    stats: computeStats(records.filter((r) => r.phase === w.name), (w.endMs - w.startMs) / 1000),
  }));
  out.push({ name: 'whole', startMs: 0, endMs, stats: computeStats(records, endMs / 1000) });
  return out;
}

export function stageResults(c: CaseSpec, out: LoadOutcome, originMs: number): StageResult[] {
  const stages = c.load?.stages ?? [];
  return stages.map((s, i) => {
    const start = (out.stageStarts.get(i) ?? originMs) - originMs;
    const next = out.stageStarts.get(i + 1);
    const end = Math.min(next !== undefined ? next - originMs : out.endMs, out.endMs);
    return {
      index: i, name: s.name, connections: s.connections, rateRps: s.rateRps,
      startMs: Math.round(start), endMs: Math.round(end),
      stats: computeStats(out.records.filter((r) => r.stage === i), Math.max(0, end - start) / 1000),
    };
  });
}

/**
 * What the engine says about the measurement itself: generator saturation, rate not met, more
 * generator threads than `cores` (each uses one core at most: beyond the cores they share them).
 */
export function loadInfo(resolved: ResolvedLoad, engine: string, out: LoadOutcome | null, cores = availableParallelism()): LoadInfo {
  const spec = resolved.spec;
  const warnings: string[] = [];
  if (spec.generators > cores && spec.distributed === null && spec.engine === 'autocannon') {
    warnings.push(`${spec.generators} generators share this machine's ${cores} cores: beyond ${cores} they add connections, not throughput (distributed: spreads them over machines)`);
  }
  if (out) {
    if (out.generatorLimited.length) {
      const n = out.generatorLimited.length;
      warnings.push(`a generator was saturated (busy up to ${formatPercent(out.maxElu, 0)}) in ${n} second${n === 1 ? '' : 's'}: the load and latency of ${n === 1 ? 'that second are' : 'those seconds are'} generator-limited, and latency expectations over them inconclusive (add generators, or run crt on a bigger machine)`);
    }
    const seconds = mergeBySecond(out.records);
    const lag = Math.max(0, ...seconds.map((s) => s.lagMaxMs));
    if (lag > LAG_WARNING_MS && spec.stages.some((s) => s.rateRps !== null)) {
      warnings.push(`sends fell behind the schedule by up to ${formatDuration(lag)}: the connections were busy (the latency includes that wait; add connections if the server is not the cause)`);
    }
    for (const [i, s] of spec.stages.entries()) {
      if (s.rateRps === null || s.durationMs === null) continue;
      const intended = s.rateRps * (s.durationMs / 1000) * spec.generators;
      const sent = out.records.filter((r) => r.stage === i).reduce((n, r) => n + r.sent, 0);
      if (sent < intended * 0.95 && out.abortHit === null) {
        warnings.push(`stage ${s.name}: ${sent} of ${Math.round(intended)} intended requests were sent`);
      }
    }
    const other = spec.servedBy ? servedByOverflow(out.records) : 0;
    if (other > 0) {
      warnings.push(`the ${spec.servedBy} header had more than ${MAX_SERVED_BY_VALUES} distinct values: ${other} answers are counted as ${SERVED_BY_OTHER} (is it a backend name, or a per-request id?)`);
    }
  }
  return {
    engine,
    target: resolved.targetName,
    url: resolved.url,
    method: spec.method,
    generators: spec.generators,
    staggerMs: spec.staggerMs,
    stages: spec.stages.map((s) => ({ name: s.name, connections: s.connections, rateRps: s.rateRps, durationMs: s.durationMs, requests: s.requests })),
    warnings,
    ...(out?.generatorLimited.length ? { generatorLimited: out.generatorLimited } : {}),
    ...(spec.servedBy ? { servedBy: spec.servedBy } : {}),
  };
}

/** Answers counted as `(other)` because the servedBy header took too many distinct values. */
function servedByOverflow(records: readonly TimeseriesRecord[]): number {
  const all: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r.servedBy ?? {})) all[k] = (all[k] ?? 0) + v;
  return capServedBy(all)[SERVED_BY_OTHER] ?? 0;
}

export interface VerdictInputs {
  interrupted: string | null;
  timedOutMs: number | null;
  abortHit: LoadOutcome['abortHit'];
  loadError: string | null;
  generatorErrors: readonly string[];
  /** a generator ran out of file descriptors here: the failures are its own, so no abort rule or expectation can blame the service */
  fdExhausted?: string | null;
  injectFailures: readonly string[];
  /** faults that took no observable effect (a network cut the CNI ignored) */
  ineffective: readonly string[];
  expectations: readonly ExpectationResult[];
}

/** The case verdict and its one-line reason, most serious cause first. */
export function caseVerdict(v: VerdictInputs): { verdict: Verdict; reason?: string } {
  if (v.interrupted) return { verdict: 'aborted', reason: `interrupted by ${v.interrupted}` };
  if (v.timedOutMs !== null) return { verdict: 'aborted', reason: `the case timed out after ${formatDuration(v.timedOutMs)}` };
  if (v.fdExhausted) return { verdict: 'inconclusive', reason: `a load generator failed: ${v.fdExhausted}` };
  if (v.abortHit) return { verdict: 'aborted', reason: `abort rule "${v.abortHit.rule.text}" held at ${formatDuration(v.abortHit.atMs)}` };
  if (v.loadError) return { verdict: 'inconclusive', reason: `the load could not run: ${v.loadError}` };
  if (v.generatorErrors.length) return { verdict: 'inconclusive', reason: `a load generator failed: ${v.generatorErrors[0]}` };
  if (v.injectFailures.length) return { verdict: 'inconclusive', reason: `a triggering action failed: ${v.injectFailures[0]}` };
  if (v.ineffective.length) return { verdict: 'inconclusive', reason: v.ineffective[0] };
  const failed = v.expectations.filter((e) => e.verdict === 'failed');
  if (failed.length) {
    const what = expectationText(failed[0] as ExpectationResult);
    return { verdict: 'failed', reason: failed.length === 1 ? what : `${failed.length} expectations failed; first: ${what}` };
  }
  // a failure elsewhere is still a failure; with none, an expectation that could not be judged leaves the case open
  const open = v.expectations.filter((e) => e.verdict === 'inconclusive');
  if (open.length) {
    const what = expectationText(open[0] as ExpectationResult);
    return { verdict: 'inconclusive', reason: open.length === 1 ? `expectation inconclusive: ${what}` : `${open.length} expectations inconclusive; first: ${what}` };
  }
  return { verdict: 'passed' };
}

function expectationText(e: ExpectationResult): string {
  return `${e.phase ? `${e.phase} ` : ''}${e.thresholdText}: measured ${e.measuredText}${e.reason ? ` (${e.reason})` : ''}`;
}
