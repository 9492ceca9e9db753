import { mergeHistograms, summarize, mergeEncoded } from './histogram.js';
import { FAILURE_CLASSES, type FailureCounts, type LoadSample, type LoadStats } from './types.js';
import { mergeSessionSamples, sessionStatsOf } from './sessions.js';

export function zeroFailures(): FailureCounts {
  return { status: 0, timeout: 0, refused: 0, reset: 0, other: 0 };
}

export function totalFailures(f: FailureCounts): number {
  return f.status + f.timeout + f.refused + f.reset + f.other;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** The `servedBy` value of an answer without the header. */
export const SERVED_BY_NONE = '(none)';
/** Where answers go once `MAX_SERVED_BY_VALUES` distinct values have been seen. */
export const SERVED_BY_OTHER = '(other)';
/** Distinct `servedBy` values kept (a header carrying a request id would otherwise grow without bound). */
export const MAX_SERVED_BY_VALUES = 100;

/**
 * Keeps the `MAX_SERVED_BY_VALUES` most frequent values (ties by name) and folds the rest into
 * `(other)`: each generator caps its own values, and the merge of several can exceed the cap.
 * Counts are only moved, never lost: the total stays exact.
 */
export function capServedBy(counts: Record<string, number>): Record<string, number> {
  const named = Object.entries(counts).filter(([k]) => k !== SERVED_BY_OTHER);
  if (named.length <= MAX_SERVED_BY_VALUES) return counts;
  named.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, number> = Object.fromEntries(named.slice(0, MAX_SERVED_BY_VALUES));
  out[SERVED_BY_OTHER] = (counts[SERVED_BY_OTHER] ?? 0) + named.slice(MAX_SERVED_BY_VALUES).reduce((n, [, v]) => n + v, 0);
  return out;
}

/** Requests answered with an HTTP status (ok or not): the denominator of a servedBy share. */
export function answeredCount(stats: Pick<LoadStats, 'statusCodes'>): number {
  let n = 0;
  for (const v of Object.values(stats.statusCodes)) n += v;
  return n;
}

/** Distinct backends among servedBy values: `(none)` is no backend; `(other)` counts as one more at least. */
export function backendCount(servedBy: Record<string, number>): number {
  return Object.entries(servedBy).filter(([k, v]) => k !== SERVED_BY_NONE && v > 0).length;
}

/** Sums the servedBy counts of samples; undefined when no sample has any. */
function sumServedBy(samples: readonly LoadSample[]): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const s of samples) {
    if (!s.servedBy) continue;
    // no prototype: servedBy values come from the service (`__proto__` is a value like any other)
    out ??= Object.create(null) as Record<string, number>;
    addCounts(out, s.servedBy);
  }
  return out && capServedBy(out);
}

/**
 * Statistics of a set of samples covering `seconds` seconds (a phase, a stage, a case).
 * Percentiles come from the exact merge of the samples' histograms, never from averaging
 * per-second percentiles. Returns null when no sample falls in the set.
 */
export function computeStats(samples: readonly LoadSample[], seconds: number): LoadStats | null {
  if (samples.length === 0) return null;
  const failures = zeroFailures();
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let ok = 0;
  let bytes = 0;
  let sent = 0;
  let lagMaxMs = 0;
  for (const s of samples) {
    requests += s.requests;
    ok += s.ok;
    bytes += s.bytes;
    sent += s.sent;
    lagMaxMs = Math.max(lagMaxMs, s.lagMaxMs);
    for (const c of FAILURE_CLASSES) failures[c] += s.failures[c];
    addCounts(statusCodes, s.statusCodes);
  }
  const failed = totalFailures(failures);
  const span = Math.max(seconds, 1e-9);
  const servedBy = sumServedBy(samples);
  return {
    seconds,
    requests,
    ok,
    failed,
    errorRate: requests > 0 ? failed / requests : null,
    rps: requests / span,
    bytes,
    sent,
    failures,
    statusCodes,
    latency: summarize(mergeHistograms(samples.map((s) => s.latency))),
    service: summarize(mergeHistograms(samples.map((s) => s.service))),
    lagMaxMs,
    ...(servedBy ? { servedBy } : {}),
    ...sessionStatsOf(samples),
  };
}

/**
 * Merges the samples of several generators (and stages) for the same second into one sample,
 * exactly: counts summed, histograms merged. Generator and stage of the result are -1.
 */
export function mergeSamples(samples: readonly LoadSample[]): LoadSample {
  const first = samples[0];
  if (!first) throw new Error('mergeSamples needs at least one sample');
  const failures = zeroFailures();
  const statusCodes: Record<string, number> = {};
  const merged: LoadSample = {
    t: first.t,
    sec: first.sec,
    generator: samples.length === 1 ? first.generator : -1,
    stage: samples.every((s) => s.stage === first.stage) ? first.stage : -1,
    requests: 0,
    ok: 0,
    failures,
    statusCodes,
    bytes: 0,
    sent: 0,
    latency: samples.length === 1 ? first.latency : mergeEncoded(samples.map((s) => s.latency)),
    service: samples.length === 1 ? first.service : mergeEncoded(samples.map((s) => s.service)),
    lagMaxMs: 0,
    elu: 0,
  };
  for (const s of samples) {
    merged.requests += s.requests;
    merged.ok += s.ok;
    merged.bytes += s.bytes;
    merged.sent += s.sent;
    merged.lagMaxMs = Math.max(merged.lagMaxMs, s.lagMaxMs);
    merged.elu = Math.max(merged.elu, s.elu);
    if (s.saturated) merged.saturated = true;
    for (const c of FAILURE_CLASSES) failures[c] += s.failures[c];
    addCounts(statusCodes, s.statusCodes);
    if (s.firstFailureAt !== undefined) {
      merged.firstFailureAt = Math.min(merged.firstFailureAt ?? Infinity, s.firstFailureAt);
    }
    if (s.lastFailureAt !== undefined) {
      merged.lastFailureAt = Math.max(merged.lastFailureAt ?? -Infinity, s.lastFailureAt);
    }
  }
  const servedBy = sumServedBy(samples);
  if (servedBy) merged.servedBy = servedBy;
  const sessions = mergeSessionSamples(samples);
  if (sessions) merged.sessions = sessions;
  return merged;
}

/** Groups samples by second and merges each group; the result is sorted by second. */
export function mergeBySecond(samples: readonly LoadSample[]): LoadSample[] {
  const bySec = new Map<number, LoadSample[]>();
  for (const s of samples) {
    const group = bySec.get(s.sec);
    if (group) group.push(s);
    else bySec.set(s.sec, [s]);
  }
  return [...bySec.keys()].sort((a, b) => a - b).map((sec) => mergeSamples(bySec.get(sec) as LoadSample[]));
}
