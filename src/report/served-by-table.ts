import { formatPercent } from '../core/index.js';
import { answeredCount, PHASE_NAMES, type CaseResult } from '../results/index.js';
import { NONE, formatCount } from './format.js';
import type { Table } from './case-tables.js';

/** `Answers by x-version`: the title of the servedBy table, null when the case did not count answers. */
export function servedByTitle(c: CaseResult): string | null {
  return c.load?.servedBy ? `Answers by ${c.load.servedBy}` : null;
}

/**
 * Per phase (timeline order, `whole` last), the answers by value of the load's servedBy header,
 * most frequent first: how many, and their share of the phase's answers with an HTTP status.
 */
export function servedByTable(c: CaseResult): Table | null {
  if (!c.load?.servedBy) return null;
  const phases = [...c.phases].sort((a, b) => PHASE_NAMES.indexOf(a.name) - PHASE_NAMES.indexOf(b.name) || a.startMs - b.startMs);
  const rows: string[][] = [];
  for (const p of phases) {
    if (!p.stats) continue;
    const answered = answeredCount(p.stats);
    const values = Object.entries(p.stats.servedBy ?? {}).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    if (values.length === 0) rows.push([p.name, NONE, '0', answered > 0 ? formatPercent(0, 1) : NONE]);
    for (const [value, n] of values) rows.push([p.name, value, formatCount(n), formatPercent(answered > 0 ? n / answered : null, 1)]);
  }
  if (rows.length === 0) return null;
  return { headers: ['phase', 'value', 'answers', 'share'], rows, numeric: [false, false, true, true] };
}
