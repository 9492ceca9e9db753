import { parseDuration, parsePercent } from '../core/index.js';
import { metricValue, readAbortRule } from './abort-rule.js';
import type { FileSet } from './files.js';
import type { ExpectDoc } from './schema.js';
import type { AbortRule, Bound, ExpectSpec, MetricName, PhaseExpectation } from './types.js';
import { location } from './normalize-load.js';
import type { DocPath, YamlSource } from './yaml-source.js';

const PHASE_KEYS = ['whole', 'baseline', 'fault', 'recovery', 'after'] as const;


/** `{min: 5s, max: 1ms}` can never pass: reported at its min, in the plan's words. */
function checkOrder(raw: unknown, convert: (v: string | number) => number, at: DocPath, ctx: { source: YamlSource; files: FileSet }): void {
  if (typeof raw !== 'object' || raw === null) return;
  const { max, min } = raw as { max?: string | number; min?: string | number };
  if (max === undefined || min === undefined || convert(min) <= convert(max)) return;
  ctx.files.error(ctx.source, [...at, 'min'], `min ${String(min)} is above max ${String(max)}: no value can pass`, 'swap them, or give one bound only');
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
      checkOrder(raw, (v) => metricValue(metric, v), [...where, metric], { source, files });
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
      checkOrder(doc.recoveryTime, parseDuration, [...at, 'recoveryTime'], { source, files });
      for (const b of bounds(doc.recoveryTime, (v) => parseDuration(v))) recoveryTime.push({ ...b, location: location(source, [...at, 'recoveryTime']) });
    }
  }
  if (doc.clusterRecoveryTime !== undefined) {
    if (!has.trigger || !has.load) {
      files.error(source, [...at, 'clusterRecoveryTime'], 'clusterRecoveryTime is measured from a fault injection under load', 'the case needs both load: and a trigger:');
    } else {
      checkOrder(doc.clusterRecoveryTime, parseDuration, [...at, 'clusterRecoveryTime'], { source, files });
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
    checkOrder(raw, (v) => parsePercent(String(v)), [...where, 'servedBy', value], { source, files });
    for (const b of bounds(raw, (v) => parsePercent(String(v)))) {
      out.push({ ...b, phase, metric: 'servedBy', servedByValue: value, location: location(source, [...where, 'servedBy', value]) });
    }
  }
  if (doc.backends !== undefined) {
    checkOrder(doc.backends, Number, [...where, 'backends'], { source, files });
    for (const b of bounds(doc.backends, Number)) out.push({ ...b, phase, metric: 'backends', location: location(source, [...where, 'backends']) });
  }
  return out;
}

/** `errorRate > 50% for 10s` as an AbortRule; reports a located problem and returns null when malformed. */
export function parseAbortRule(text: string, at: DocPath, source: YamlSource, files: FileSet): AbortRule | null {
  const read = readAbortRule(text);
  if ('rule' in read) return { ...read.rule, location: location(source, at) };
  files.error(source, at, read.message, read.hint);
  return null;
}
