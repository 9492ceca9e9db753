import { parseDuration, parsePercent, isDuration, isPercent } from '../core/units.js';
import type { FileSet } from './files.js';
import type { ExpectDoc } from './schema.js';
import { closest } from './suggest.js';
import { LATENCY_METRICS, type AbortRule, type Bound, type ExpectSpec, type MetricName, type PhaseExpectation } from './types.js';
import { location } from './normalize-load.js';
import type { DocPath, YamlSource } from './yaml-source.js';

const PHASE_KEYS = ['whole', 'baseline', 'fault', 'recovery', 'after'] as const;
const METRICS: readonly MetricName[] = ['errorRate', 'failedRequests', 'requests', 'rps', ...LATENCY_METRICS];

/** Converts a value as written into the metric's unit (ratio, ms, count, req/s). */
export function metricValue(metric: MetricName, raw: string | number): number {
  if (metric === 'errorRate') return parsePercent(String(raw));
  if ((LATENCY_METRICS as readonly string[]).includes(metric)) return parseDuration(raw);
  return Number(raw);
}

function bounds(raw: unknown, convert: (v: string | number) => number): Bound[] {
  if (typeof raw === 'object' && raw !== null) {
    const { max, min } = raw as { max?: string | number; min?: string | number };
    const out: Bound[] = [];
    if (max !== undefined) out.push({ bound: 'max', value: convert(max), text: String(max) });
    if (min !== undefined) out.push({ bound: 'min', value: convert(min), text: String(min) });
    return out;
  }
  return [{ bound: 'max', value: convert(raw as string | number), text: String(raw) }];
}

export function normalizeExpect(
  doc: ExpectDoc | undefined,
  at: DocPath,
  source: YamlSource,
  files: FileSet,
  has: {
    load: boolean;
    trigger: boolean;
    /** whether the load sets servedBy; null when the load itself was invalid (already reported) */
    servedBy?: boolean | null;
  },
): Omit<ExpectSpec, 'probes'> {
  const phases: PhaseExpectation[] = [];
  const recoveryTime: ExpectSpec['recoveryTime'] = [];
  const clusterRecoveryTime: ExpectSpec['clusterRecoveryTime'] = [];
  if (!doc) return { phases, recoveryTime, clusterRecoveryTime };
  for (const phase of PHASE_KEYS) {
    const entries = doc[phase];
    if (!entries) continue;
    const where = [...at, phase];
    if (!has.load) {
      files.error(source, where, `expectations on the ${phase} phase need a load`, 'add load: to the case, or assert with expect.probes');
      continue;
    }
    if (phase !== 'whole' && phase !== 'baseline' && !has.trigger) {
      files.error(source, where, `the ${phase} phase exists only in a case with a trigger`, 'add a trigger: timeline, or assert on whole');
      continue;
    }
    const { servedBy, backends, ...metrics } = entries;
    for (const [metric, raw] of Object.entries(metrics) as Array<[MetricName, unknown]>) {
      for (const b of bounds(raw, (v) => metricValue(metric, v))) {
        phases.push({ ...b, phase: phase, metric, location: location(source, [...where, metric]) });
      }
    }
    phases.push(...servedByExpectations({ servedBy, backends }, { where, phase, source, files, loadServedBy: has.servedBy ?? null }));
  }
  if (doc.recoveryTime !== undefined) {
    if (!has.trigger || !has.load) {
      files.error(source, [...at, 'recoveryTime'], 'recoveryTime is measured from a fault injection under load', 'the case needs both load: and a trigger:');
    } else {
      for (const b of bounds(doc.recoveryTime, (v) => parseDuration(v))) recoveryTime.push({ ...b, location: location(source, [...at, 'recoveryTime']) });
    }
  }
  if (doc.clusterRecoveryTime !== undefined) {
    if (!has.trigger || !has.load) {
      files.error(source, [...at, 'clusterRecoveryTime'], 'clusterRecoveryTime is measured from a fault injection under load', 'the case needs both load: and a trigger:');
    } else {
      for (const b of bounds(doc.clusterRecoveryTime, (v) => parseDuration(v))) clusterRecoveryTime.push({ ...b, location: location(source, [...at, 'clusterRecoveryTime']) });
    }
  }
  return { phases, recoveryTime, clusterRecoveryTime };
}

/** `servedBy: {"1.1": {min: 10%}}` and `backends: {min: 2}` of one phase; both need `load.servedBy`. */
function servedByExpectations(
  doc: { servedBy?: Record<string, unknown>; backends?: unknown },
  ctx: { where: DocPath; phase: PhaseExpectation['phase']; source: YamlSource; files: FileSet; loadServedBy: boolean | null },
): PhaseExpectation[] {
  const { where, phase, source, files } = ctx;
  const out: PhaseExpectation[] = [];
  const keys = (['servedBy', 'backends'] as const).filter((k) => doc[k] !== undefined);
  if (keys.length === 0 || ctx.loadServedBy === null) return out;
  if (!ctx.loadServedBy) {
    for (const k of keys) {
      files.error(source, [...where, k], `${k} counts the answers by a response header: the load sets no servedBy`, 'add load.servedBy: <header name>, e.g. servedBy: x-served-by');
    }
    return out;
  }
  for (const [value, raw] of Object.entries(doc.servedBy ?? {})) {
    for (const b of bounds(raw, (v) => parsePercent(String(v)))) {
      out.push({ ...b, phase, metric: 'servedBy', servedByValue: value, location: location(source, [...where, 'servedBy', value]) });
    }
  }
  if (doc.backends !== undefined) {
    for (const b of bounds(doc.backends, Number)) out.push({ ...b, phase, metric: 'backends', location: location(source, [...where, 'backends']) });
  }
  return out;
}

const RULE = /^\s*([A-Za-z0-9]+)\s*(>=|<=|>|<)\s*(\S+)\s+for\s+(\S+)\s*$/;

/** Parses `errorRate > 50% for 10s`; reports a located problem and returns null when malformed. */
export function parseAbortRule(text: string, at: DocPath, source: YamlSource, files: FileSet): AbortRule | null {
  const m = RULE.exec(text);
  if (!m) {
    files.error(source, at, 'must read "<metric> <op> <value> for <duration>"', 'e.g. "errorRate > 50% for 10s" or "p99 > 2s for 30s"');
    return null;
  }
  const [, metricText, op, valueText, windowText] = m as unknown as [string, string, AbortRule['op'], string, string];
  if (!(METRICS as readonly string[]).includes(metricText)) {
    const guess = closest(metricText, METRICS);
    files.error(source, at, `unknown metric "${metricText}"`, guess ? `did you mean "${guess}"?` : `metrics are ${METRICS.join(', ')}`);
    return null;
  }
  const metric = metricText as MetricName;
  const okValue =
    metric === 'errorRate' ? isPercent(valueText) : (LATENCY_METRICS as readonly string[]).includes(metric) ? isDuration(valueText) : /^[0-9]+(\.[0-9]+)?$/.test(valueText);
  if (!okValue) {
    const expected = metric === 'errorRate' ? 'a percentage such as 50%' : (LATENCY_METRICS as readonly string[]).includes(metric) ? 'a duration such as 2s' : 'a number';
    files.error(source, at, `the value of ${metric} must be ${expected}, not "${valueText}"`);
    return null;
  }
  if (!isDuration(windowText) || parseDuration(windowText) < 1000) {
    files.error(source, at, `the window "${windowText}" must be a duration of at least 1s`, 'the rule is checked on whole seconds, e.g. for 10s');
    return null;
  }
  return { text: text.trim(), metric, op, value: metricValue(metric, valueText), windowMs: parseDuration(windowText), location: location(source, at) };
}
