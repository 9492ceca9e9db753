import { formatDuration, formatPercent } from '../core/index.js';
import { outcomeOf, type CaseResult, type ExpectationResult, type RunResult, type Verdict } from '../results/index.js';
import { NONE, formatLatency } from './format.js';
import { LAYER_LABEL, isFailure } from './view.js';

/**
 * The first screen of every report: the run's outcome as one line, and one row per case with the
 * figures a release manager weighs (each against its bound). HTML and Markdown lay out the same
 * values, so the two documents never disagree.
 */

export interface RunBanner {
  /** `PASSED`, `FAILED`, `REVERT FAILED`, `INTERRUPTED` */
  status: string;
  /** the exit code `crt run` returned for this run */
  exitCode: number;
  /** `FAILED (exit 1) — 1 of 3 cases passed, 1 failed, 1 not run; 2 regressions against nightly-41` */
  text: string;
  /** colour of the banner */
  tone: 'passed' | 'failed' | 'alarm';
}

/**
 * The run's outcome as `crt run` decides its exit code (src/cli/commands/run.ts): a revert failure
 * first, then an interruption, then failed cases or regressions. The one place the reports word
 * it; the run outcome object of src/results will replace the body of this function.
 */
export function runBanner(run: RunResult): RunBanner {
  // the one outcome of the run (results/outcome.ts): the same words and exit code as crt run's last line
  const o = outcomeOf(run);
  return { status: o.label, exitCode: o.exitCode, tone: o.status === 'passed' ? 'passed' : o.status === 'revert-failed' ? 'alarm' : 'failed', text: o.headline };
}

/** A figure of the overview with the bound it was held to; `verdict` null when nothing bounds it. */
export interface BoundedFigure {
  value: string;
  /** `≤ 50%` as the plan wrote it, or null */
  bound: string | null;
  verdict: ExpectationResult['verdict'] | null;
}

export interface OverviewRow {
  id: string;
  layer: string;
  title: string;
  verdict: Verdict;
  reason: string | null;
  faultErrorRate: BoundedFigure;
  p95: BoundedFigure;
  clientRecovery: BoundedFigure;
  clusterRecovery: BoundedFigure;
}

export const OVERVIEW_HEADERS = ['case', 'layer', 'title', 'verdict', 'fault error rate', 'p95', 'client recovery', 'cluster recovery'] as const;

/** Failed cases first (what a reader must act on), then not established, then passed, in plan order within each. */
export function overviewRows(run: RunResult): OverviewRow[] {
  const rank = (v: Verdict): number => (isFailure(v) ? 0 : v === 'passed' ? 2 : v === 'skipped' ? 3 : 1);
  return run.cases
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c.verdict) - rank(b.c.verdict) || a.i - b.i)
    .map(({ c }) => overviewRow(c));
}

function overviewRow(c: CaseResult): OverviewRow {
  const fault = c.phases.find((p) => p.name === 'fault');
  // p95 of the phase the plan bounds it in (the first such bound), else of the whole load
  const p95Bound = c.expectations.find((e) => e.metric === 'p95' && e.phase !== null);
  const p95Phase = c.phases.find((p) => p.name === (p95Bound?.phase ?? 'whole'));
  const p95Value = p95Phase?.stats?.latency?.p95;
  const r = c.recovery;
  return {
    id: c.id,
    layer: LAYER_LABEL[c.layer].replace(/ layer$/, ''),
    title: c.spec.title,
    verdict: c.verdict,
    reason: c.reason ?? null,
    faultErrorRate: bounded(fault?.stats ? formatPercent(fault.stats.errorRate) : NONE, find(c, 'fault', 'errorRate')),
    p95: bounded(p95Value === undefined ? NONE : `${formatLatency(p95Value)}${p95Phase && p95Phase.name !== 'whole' ? ` (${p95Phase.name})` : ''}`, p95Bound ?? null),
    clientRecovery: bounded(!r ? NONE : !r.impact ? 'no impact' : r.recoveryTimeMs === null ? 'not recovered' : formatDuration(r.recoveryTimeMs), find(c, null, 'recoveryTime')),
    clusterRecovery: bounded(clusterRecoveryText(c), find(c, null, 'clusterRecoveryTime')),
  };
}

function clusterRecoveryText(c: CaseResult): string {
  const k = c.recovery?.cluster;
  if (!k) return NONE;
  if (k.affected.length === 0) return 'not affected';
  return k.recoveryTimeMs === null ? 'not recovered' : formatDuration(k.recoveryTimeMs);
}

function find(c: CaseResult, phase: ExpectationResult['phase'], metric: string): ExpectationResult | null {
  return c.expectations.find((e) => e.phase === phase && e.metric === metric) ?? null;
}

/** The bound as written without its metric name: `error rate ≤ 50%` → `≤ 50%`. */
function bounded(value: string, e: ExpectationResult | null): BoundedFigure {
  if (!e) return { value, bound: null, verdict: null };
  const m = /[≤≥<>].*$/.exec(e.thresholdText);
  return { value, bound: m ? m[0] : e.thresholdText, verdict: e.verdict };
}

/** `312 ms (≤ 200ms ✗)`: one cell of text, for Markdown and plain tables. */
export function figureText(f: BoundedFigure): string {
  if (!f.bound) return f.value;
  return `${f.value} (${f.bound} ${boundMark(f)})`;
}

/** ✓ passed, ✗ failed, ? inconclusive (a generator-limited latency). */
export function boundMark(f: BoundedFigure): string {
  return f.verdict === 'passed' ? '✓' : f.verdict === 'inconclusive' ? '?' : '✗';
}
