import type { Verdict } from '../results/index.js';
import type { Table } from './case-tables.js';
import { escapeHtml as h } from './escape.js';
import { VERDICT_LABEL } from './view.js';

/** Small HTML builders; every argument is plain text and is escaped here, once. */

/** A cell this short (an id, a phase, a figure) stays on one line; a longer one (a probe's detail) wraps. */
const SHORT_FIGURE = 16;

/**
 * A data table. Each cell carries its column's header as `data-label`, so that on a phone the rows
 * stack as label/value lines; a table of more than eight columns is marked `wide` and printed smaller.
 * A row whose cells say REGRESSED is marked for colour.
 */
export function htmlTable(t: Table, className = 'data'): string {
  const numClass = (text: string, i: number): string => {
    const classes = [t.numeric[i] ? 'num' : '', text.length <= SHORT_FIGURE ? 'short' : ''].filter(Boolean);
    return classes.length ? ` class="${classes.join(' ')}"` : '';
  };
  const head = `<tr>${t.headers.map((x, i) => `<th${t.numeric[i] ? ' class="num"' : ''}>${h(x)}</th>`).join('')}</tr>`;
  const row = (r: readonly string[]): string => {
    const cells = r.map((x, i) => `<td${numClass(x, i)} data-label="${h(t.headers[i] ?? '')}">${h(x)}</td>`).join('');
    return `<tr${r.some((x) => x.startsWith('REGRESSED')) ? ' class="regressed"' : ''}>${cells}</tr>`;
  };
  const body = t.rows.map(row).join('\n');
  className = t.headers.length > 8 ? `${className} wide` : className;
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

/**
 * Verdict colours: each verdict its own, readable in print and by colour-blind readers (the label is
 * always written too). Long text wraps anywhere (`overflow-wrap: anywhere` also lets a table's
 * columns shrink below a long word), so no table needs more than the page's width; on a phone the
 * data tables stack their rows; in print the cases start on a new page, headings stay with what
 * follows, and table headers repeat on each page.
 */
export const CSS = `
:root { --fg: #1d1d1f; --muted: #666; --line: #d9d9de; --bg-alt: #f6f6f8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1200px; padding: 24px; overflow-wrap: break-word; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.35em; margin: 32px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.15em; margin: 24px 0 6px; }
h4 { font-size: 1em; margin: 16px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #333; }
h5 { font-size: .95em; margin: 12px 0 4px; color: #333; }
section.case { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 12px; margin: 16px 0; }
.muted, .subtitle { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: var(--bg-alt); overflow-wrap: normal; }
table.pairs th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.short { white-space: nowrap; }
table.overview td:nth-child(-n+2) { white-space: nowrap; }
tr.regressed td { background: #fdecea; }
tr.regressed td:last-child { color: #b71c1c; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: .85em; font-weight: 600; color: #fff; vertical-align: middle; white-space: nowrap; }
.badge.passed { background: #1e7d32; }
.badge.failed { background: #c62828; }
.badge.aborted { background: #6a1b9a; }
.badge.inconclusive { background: #b26a00; }
.badge.not-run { background: #546e7a; }
.badge.skipped { background: #9e9e9e; }
.badge.none { background: #e0e0e0; color: #555; }
table.overview { width: 100%; }
table.overview .reason { display: block; font-size: .9em; color: #333; margin-top: 2px; }
.bound { display: block; font-size: .85em; color: var(--muted); white-space: nowrap; }
.bound.failed { color: #c62828; font-weight: 600; }
.tolerance { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 0 24px; }
.verdict-line { font-size: 1.05em; }
.counts .count { display: inline-block; margin: 0 14px 4px 0; white-space: nowrap; }
.alert { background: #fdecea; border-left: 4px solid #c62828; padding: 6px 10px; margin: 8px 0; }
.warning { background: #fff4e5; border-left: 4px solid #b26a00; padding: 6px 10px; }
.chart svg { max-width: 100%; height: auto; }
ul { margin: 4px 0 8px; padding-left: 22px; }
a { color: inherit; }
@media (max-width: 640px) {
  body { padding: 10px; font-size: 15px; }
  section.case { padding: 2px 8px 8px; }
  table.data, table.data tbody, table.data tr, table.data td { display: block; width: 100%; }
  table.data thead { display: none; }
  table.data tr { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 8px; padding: 2px 0; }
  table.data td { border: none; border-bottom: 1px solid var(--bg-alt); position: relative; padding-left: calc(38% + 12px); min-height: 1.9em; text-align: left; white-space: normal; }
  table.data td.short, table.overview td:nth-child(-n+2) { white-space: normal; }
  table.data td::before { content: attr(data-label); position: absolute; left: 8px; width: 38%; font-weight: 600; color: #444; overflow-wrap: anywhere; }
  table.data td .badge { white-space: normal; }
  table.pairs th { width: 38%; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.3; }
  h2 { margin: 14px 0 6px; } h3 { margin: 12px 0 4px; } h4 { margin: 10px 0 2px; } h5 { margin: 8px 0 2px; }
  table { margin: 3px 0 6px; font-size: 8.5pt; }
  th, td { padding: 1px 5px; }
  ul { margin: 2px 0 4px; }
  .scroll { overflow: visible; }
  table { width: 100%; }
  table.wide { font-size: 7.5pt; }
  table.wide td, table.wide th { padding: 2px 3px; }
  table.pairs { width: auto; }
  thead { display: table-header-group; }
  tr, .outcome, .chart, figure { break-inside: avoid; }
  h1, h2, h3, h4, h5 { break-after: avoid; }
  section.case { border: none; padding: 0; margin: 0; break-before: page; }
  section.layer, #appendix, #plan { break-before: page; }
  section.layer > section.case:first-of-type { break-before: auto; }
  .chart svg { width: 100%; max-height: 80mm; }
  a { text-decoration: none; }
}
`;
