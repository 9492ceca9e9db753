import { formatPercent, round } from '../core/index.js';
import { buildStudies, studyCell, type RunResult, type StudyCell, type StudyFigures, type StudyResult } from '../results/index.js';
import type { Table } from './case-tables.js';
import { NONE, formatCount, formatLatency, formatRate } from './format.js';

/**
 * The load-study tables (plan `study:`): one per variant, steps as rows, and one comparison of each
 * later variant against the first. Plain text, escaped and laid out by the HTML and Markdown reports.
 * Every figure is the run's own stage or case figure (merged HDR histograms).
 */

/** A step a variant did not run (or that was not measured). */
export const MISSING = '—';

/** The studies of a run: run.json's `studies`, or built from the cases for a run.json written before it existed. */
export function runStudies(run: RunResult): StudyResult[] {
  return run.studies ?? buildStudies(run.cases);
}

type FigureKey = keyof StudyFigures;
interface Column {
  header: string;
  key: FigureKey;
  text: (v: number | null) => string;
  /** the change between two values: relative (%), in percentage points, or none */
  change: 'relative' | 'points';
}

const ms = (v: number | null): string => formatLatency(v);
const COLUMNS: readonly Column[] = [
  { header: 'req/s', key: 'rps', text: (v) => formatRate(v), change: 'relative' },
  { header: 'mean', key: 'mean', text: ms, change: 'relative' },
  { header: 'p50', key: 'p50', text: ms, change: 'relative' },
  { header: 'p75', key: 'p75', text: ms, change: 'relative' },
  { header: 'p90', key: 'p90', text: ms, change: 'relative' },
  { header: 'p95', key: 'p95', text: ms, change: 'relative' },
  { header: 'requests', key: 'requests', text: (v) => formatCount(v), change: 'relative' },
  { header: 'failed', key: 'failed', text: (v) => formatCount(v), change: 'relative' },
  { header: 'failure %', key: 'errorRate', text: (v) => formatPercent(v), change: 'points' },
];
const REPLICAS = 'max Ready replicas';

/** `−77 %`, `+4.2 %`, `±0 %`: relative change from `a` to `b`; '' when it has no meaning (from 0, or a value missing). */
export function relativeChange(a: number | null, b: number | null): string {
  if (a === null || b === null || a === 0) return '';
  const pct = ((b - a) / a) * 100;
  const r = round(Math.abs(pct), Math.abs(pct) < 10 ? 1 : 0);
  return r === 0 ? '±0 %' : `${pct < 0 ? '−' : '+'}${r} %`;
}

function pointsChange(a: number | null, b: number | null): string {
  if (a === null || b === null) return '';
  const d = round((b - a) * 100, 2);
  return d === 0 ? '±0 pts' : `${d < 0 ? '−' : '+'}${Math.abs(d)} pts`;
}

/**
 * The workloads worth a column: those whose most Ready replicas differ between steps or variants (what
 * the autoscaler moved); when none did, every watched one (each held its count, which is worth saying).
 */
function replicaSubjects(study: StudyResult): string[] {
  const all = new Map<string, Set<number>>();
  for (const cell of study.cells) for (const [subject, n] of Object.entries(cell.maxReady ?? {})) all.set(subject, (all.get(subject) ?? new Set()).add(n));
  const moved = [...all].filter(([, values]) => values.size > 1).map(([s]) => s);
  return (moved.length ? moved : [...all.keys()]).sort();
}

/** `deployment/demo/gateway` → `gateway`, unless two namespaces have that name. */
function shortNames(subjects: readonly string[]): Map<string, string> {
  const name = (s: string) => s.split('/').slice(-1)[0] ?? s;
  const clash = (s: string) => subjects.filter((x) => name(x) === name(s)).length > 1;
  return new Map(subjects.map((s) => [s, clash(s) ? s.split('/').slice(-2).join('/') : name(s)]));
}

function replicasText(cell: StudyCell | undefined, subjects: readonly string[], names: Map<string, string>): string {
  if (!cell?.maxReady) return MISSING;
  const parts = subjects.filter((s) => cell.maxReady?.[s] !== undefined).map((s) => `${names.get(s) ?? s} ${cell.maxReady?.[s]}`);
  return parts.length ? parts.join(', ') : MISSING;
}

/** One variant's steps: its figures, `—` for the steps it did not give. */
export function studyVariantTable(study: StudyResult, variant: string): Table {
  const subjects = replicaSubjects(study);
  const names = shortNames(subjects);
  const rows = study.steps.map((step) => {
    const cell = studyCell(study, step, variant);
    const figures = cell?.figures ?? null;
    return [
      step,
      cell ? cell.case : MISSING,
      ...COLUMNS.map((c) => (figures ? c.text(figures[c.key]) : MISSING)),
      ...(subjects.length ? [replicasText(cell, subjects, names)] : []),
    ];
  });
  const headers = ['step', 'case', ...COLUMNS.map((c) => c.header), ...(subjects.length ? [REPLICAS] : [])];
  return { headers, rows, numeric: headers.map((_, i) => i >= 2) };
}

/** `412 ms → 96 ms (−77 %)`; `—` for a side that was not measured. */
function changeText(c: Column, a: StudyFigures | null, b: StudyFigures | null): string {
  if (!a && !b) return MISSING;
  const va = a ? a[c.key] : null;
  const vb = b ? b[c.key] : null;
  const change = c.change === 'points' ? pointsChange(va, vb) : relativeChange(va, vb);
  return `${a ? c.text(va) : MISSING} → ${b ? c.text(vb) : MISSING}${change ? ` (${change})` : ''}`;
}

function replicaChange(a: StudyCell | undefined, b: StudyCell | undefined, subjects: readonly string[], names: Map<string, string>): string {
  if (!a?.maxReady && !b?.maxReady) return MISSING;
  return subjects.map((s) => {
    const [x, y] = [a?.maxReady?.[s], b?.maxReady?.[s]];
    const delta = x !== undefined && y !== undefined ? ` (${y - x === 0 ? '±0' : `${y > x ? '+' : '−'}${Math.abs(y - x)}`})` : '';
    return `${names.get(s) ?? s} ${x ?? MISSING} → ${y ?? MISSING}${delta}`;
  }).join('; ') || MISSING;
}

/** `HPA off → HPA on`: each step, each figure of the first variant against the other, and the change. */
export function studyComparisonTable(study: StudyResult, from: string, to: string): Table {
  const subjects = replicaSubjects(study);
  const names = shortNames(subjects);
  const rows = study.steps.map((step) => {
    const [a, b] = [studyCell(study, step, from), studyCell(study, step, to)];
    return [
      step,
      ...COLUMNS.map((c) => changeText(c, a?.figures ?? null, b?.figures ?? null)),
      ...(subjects.length ? [replicaChange(a, b, subjects, names)] : []),
    ];
  });
  const headers = ['step', ...COLUMNS.map((c) => c.header), ...(subjects.length ? [REPLICAS] : [])];
  return { headers, rows, numeric: headers.map((_, i) => i >= 1) };
}

/** The pairs a study compares: every later variant against the first (the reference). */
export function studyPairs(study: StudyResult): Array<[string, string]> {
  const [first, ...others] = study.variants;
  return first === undefined ? [] : others.map((v) => [first, v]);
}

/** One line under the title: what the study holds and how to read it. */
export function studySummary(study: StudyResult): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const cases = new Set(study.cells.map((c) => c.case)).size;
  const pairs = studyPairs(study);
  const compared = pairs.length ? `; each variant against ${study.variants[0] ?? NONE}` : '';
  return `${n(study.steps.length, 'step')} × ${n(study.variants.length, 'variant')} (${study.variants.join(', ')}), from ${n(cases, 'case')}${compared}. Latencies are measured from each request's intended send time; ${MISSING} marks a step a variant did not run.`;
}
