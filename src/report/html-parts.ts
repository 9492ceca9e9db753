import type { Verdict } from '../results/types.js';
import type { Table } from './case-tables.js';
import { escapeHtml as h } from './escape.js';
import { VERDICT_LABEL } from './view.js';

/** Small HTML builders; every argument is plain text and is escaped here, once. */

export function htmlTable(t: Table, className = 'data'): string {
  const cell = (tag: 'th' | 'td', text: string, i: number): string =>
    `<${tag}${t.numeric[i] ? ' class="num"' : ''}>${h(text)}</${tag}>`;
  const head = `<tr>${t.headers.map((x, i) => cell('th', x, i)).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((x, i) => cell('td', x, i)).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="${className}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** Label/value pairs as a two-column table. */
export function htmlPairs(rows: ReadonlyArray<readonly [string, string]>): string {
  const body = rows.map(([k, v]) => `<tr><th scope="row">${h(k)}</th><td>${h(v)}</td></tr>`).join('\n');
  return `<table class="pairs">\n${body}\n</table>`;
}

export function badge(v: Verdict | null): string {
  if (v === null) return '<span class="badge none">no case</span>';
  return `<span class="badge ${v}">${h(VERDICT_LABEL[v])}</span>`;
}

export function htmlList(items: readonly string[], empty: string): string {
  if (items.length === 0) return `<p class="muted">${h(empty)}</p>`;
  return `<ul>\n${items.map((i) => `<li>${h(i)}</li>`).join('\n')}\n</ul>`;
}

export function para(text: string, className?: string): string {
  return `<p${className ? ` class="${className}"` : ''}>${h(text)}</p>`;
}

/** Verdict colours: each verdict its own, readable in print and by colour-blind readers (the label is always written too). */
export const CSS = `
:root { --fg: #1d1d1f; --muted: #666; --line: #d9d9de; --bg-alt: #f6f6f8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.35em; margin: 36px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.15em; margin: 28px 0 6px; }
h4 { font-size: 1em; margin: 16px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #333; }
h5 { font-size: .95em; margin: 12px 0 4px; color: #333; }
section.case { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 12px; margin: 16px 0; }
.muted, .subtitle { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); }
table.pairs th { background: var(--bg-alt); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: .85em; font-weight: 600; color: #fff; vertical-align: middle; }
.badge.passed { background: #1e7d32; }
.badge.failed { background: #c62828; }
.badge.aborted { background: #6a1b9a; }
.badge.inconclusive { background: #b26a00; }
.badge.not-run { background: #546e7a; }
.badge.skipped { background: #9e9e9e; }
.badge.none { background: #e0e0e0; color: #555; }
.verdict-line { font-size: 1.05em; }
.alert { background: #fdecea; border-left: 4px solid #c62828; padding: 6px 10px; margin: 8px 0; }
.warning { background: #fff4e5; border-left: 4px solid #b26a00; padding: 6px 10px; }
.chart svg { max-width: 100%; height: auto; }
ul { margin: 4px 0 8px; padding-left: 22px; }
a { color: inherit; }
@media print { section.case { break-inside: avoid-page; } .chart { break-inside: avoid; } }
`;
