import { LAYERS, VERDICTS, type CaseResult, type ExpectationResult, type Layer, type RunResult, type TimeseriesRecord, type Verdict } from '../results/index.js';
import { formatDuration } from '../core/index.js';
import { formatDate } from './format.js';

/**
 * The run-level view shared by the HTML and Markdown reports, so both documents say the same
 * thing: labels, verdicts per layer, the two "tolerates / does not tolerate" lists.
 */

export const VERDICT_LABEL: Record<Verdict, string> = {
  passed: 'passed',
  failed: 'failed',
  aborted: 'aborted',
  inconclusive: 'inconclusive',
  'not-run': 'not run',
  skipped: 'skipped',
};

export const LAYER_LABEL: Record<Layer, string> = {
  physical: 'Physical layer',
  logical: 'Logical layer',
  auxiliary: 'Auxiliary layer',
};

/** The two verdicts that mean "the platform did not tolerate this". */
export function isFailure(v: Verdict): boolean {
  return v === 'failed' || v === 'aborted';
}

/**
 * Verdict of a layer: failed as soon as one case failed or aborted; passed when every case
 * passed or was skipped (and one at least passed); skipped when all were skipped; otherwise
 * inconclusive, since a case not run or inconclusive leaves the layer's acceptance open.
 * Null for a layer without cases.
 */
export function layerVerdict(cases: readonly CaseResult[]): Verdict | null {
  if (cases.length === 0) return null;
  if (cases.some((c) => isFailure(c.verdict))) return 'failed';
  if (cases.every((c) => c.verdict === 'skipped')) return 'skipped';
  if (cases.every((c) => c.verdict === 'passed' || c.verdict === 'skipped')) return 'passed';
  return 'inconclusive';
}

export interface LayerView {
  layer: Layer;
  label: string;
  cases: CaseResult[];
  verdict: Verdict | null;
}

/** Every layer in CRT order, empty ones included (the report says so rather than hiding them). */
export function layerViews(run: RunResult): LayerView[] {
  return LAYERS.map((layer) => {
    const cases = run.cases.filter((c) => c.layer === layer);
    return { layer, label: LAYER_LABEL[layer], cases, verdict: layerVerdict(cases) };
  });
}

/** Counted from the cases themselves, so the summary always matches the sections below it. */
export function verdictCounts(cases: readonly CaseResult[]): Array<{ verdict: Verdict; count: number }> {
  return VERDICTS.map((verdict) => ({ verdict, count: cases.filter((c) => c.verdict === verdict).length }));
}

export interface CaseLine {
  id: string;
  title: string;
  verdict: Verdict;
  reason: string | null;
}

export interface RunSummary {
  title: string;
  /** plan name, shown under the title when the plan has one */
  subtitle: string | null;
  facts: Array<[string, string]>;
  tolerated: CaseLine[];
  notTolerated: CaseLine[];
  /** not run or inconclusive: neither list can claim them */
  notEstablished: CaseLine[];
  /** one line per sink that is not ok; empty when all are */
  sinkProblems: string[];
  /** faults whose revert failed: the system may still hold them, the first thing to read */
  revertFailures: string[];
}

function caseLine(c: CaseResult): CaseLine {
  return { id: c.id, title: c.spec.title, verdict: c.verdict, reason: c.reason ?? null };
}

export function runSummary(run: RunResult): RunSummary {
  const { plan } = run;
  const facts: Array<[string, string]> = [
    ['Plan', `${plan.name} (${plan.file})`],
    ['System under test', plan.system ?? '–'],
    ['Run', run.runId],
    ['Date', `${formatDate(run.startedAt)} → ${formatDate(run.endedAt)} (${formatDuration(run.durationMs)})`],
  ];
  if (run.interrupted) facts.push(['Interrupted', `by ${run.interrupted}: cases after it were not run`]);
  const sel = run.selection;
  const selected = [sel.only.length ? `only ${sel.only.join(', ')}` : '', sel.tags.length ? `tags ${sel.tags.join(', ')}` : '', sel.layers.length ? `layers ${sel.layers.join(', ')}` : ''];
  if (selected.some(Boolean)) facts.push(['Selection', selected.filter(Boolean).join('; ')]);
  return {
    title: plan.title ?? plan.name,
    subtitle: plan.title ? plan.name : null,
    facts,
    tolerated: run.cases.filter((c) => c.verdict === 'passed').map(caseLine),
    notTolerated: run.cases.filter((c) => isFailure(c.verdict)).map(caseLine),
    notEstablished: run.cases.filter((c) => c.verdict === 'not-run' || c.verdict === 'inconclusive').map(caseLine),
    sinkProblems: run.sinks
      .filter((s) => s.status !== 'ok')
      .map((s) => `${s.name} ${s.status} (${s.written} written${s.errors.length ? `; ${s.errors.join('; ')}` : ''})`),
    // run.json files written before the field existed have none
    revertFailures: run.revertFailures ?? [],
  };
}

/** The environment as label/value pairs: crt, node, host and every target. */
export function environmentRows(run: RunResult): Array<[string, string]> {
  const env = run.environment;
  const rows: Array<[string, string]> = [
    ['crt', env.crtVersion],
    ['node', env.node],
    ['host', `${env.host} (${env.platform}/${env.arch}, ${env.cpus} CPUs)`],
  ];
  for (const [name, version] of Object.entries(env.engines)) rows.push([`engine ${name}`, version]);
  for (const [name, url] of Object.entries(env.targets)) rows.push([`target ${name}`, url]);
  if (env.cluster) rows.push(['cluster', env.cluster]);
  if (env.command) rows.push(['command', env.command]);
  return rows;
}

/** `whole p95 ≤ 200ms: measured 312 ms`, the line a reader (or CI) needs for a failed check. */
export function expectationText(e: ExpectationResult): string {
  const what = `${e.phase ? `${e.phase} ` : ''}${e.thresholdText}`;
  return `${what}: measured ${e.measuredText}${e.reason ? ` (${e.reason})` : ''}`;
}

export function failedExpectations(c: CaseResult): string[] {
  return c.expectations.filter((e) => e.verdict === 'failed').map(expectationText);
}

/** Time series grouped by case id, once per report rather than once per case. */
export function recordsByCase(timeseries: readonly TimeseriesRecord[]): Map<string, TimeseriesRecord[]> {
  const out = new Map<string, TimeseriesRecord[]>();
  for (const r of timeseries) {
    const list = out.get(r.case);
    if (list) list.push(r);
    else out.set(r.case, [r]);
  }
  return out;
}
