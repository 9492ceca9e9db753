import type { Verdict } from '../results/index.js';
import type { Table } from './case-tables.js';
import { escapeMarkdown as md } from './escape.js';
import { VERDICT_LABEL } from './view.js';

/** Small Markdown builders; every argument is plain text and is escaped here, once. */

export function mdTable(t: Table): string {
  const row = (cells: readonly string[]): string => `| ${cells.map((c) => md(c)).join(' | ')} |`;
  const rule = `|${t.headers.map((_, i) => (t.numeric[i] ? '---:' : '---')).join('|')}|`;
  return [row(t.headers), rule, ...t.rows.map(row)].join('\n');
}

export function mdPairs(rows: ReadonlyArray<readonly [string, string]>, headers: readonly [string, string] = ['', '']): string {
  return mdTable({ headers: [...headers], rows: rows.map(([k, v]) => [k, v]), numeric: [false, false] });
}

export function mdList(items: readonly string[], empty: string): string {
  if (items.length === 0) return `_${md(empty, 'space')}_`;
  return items.map((i) => `- ${md(i, 'space')}`).join('\n');
}

export function mdVerdict(v: Verdict | null): string {
  return v === null ? '_no case_' : `**${VERDICT_LABEL[v]}**`;
}
