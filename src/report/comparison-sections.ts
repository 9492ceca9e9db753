import type { RunComparison, RunResult } from '../results/index.js';
import { comparisonSummary, comparisonTables, comparisonTitle } from './comparison-table.js';
import type { Table } from './case-tables.js';
import { escapeHtml as h, escapeMarkdown as md } from './escape.js';
import { mdTable } from './markdown-parts.js';

/**
 * The "Regression against <baseline>" section: the regressed rows first, in their own table, each
 * row coloured (class `regressed`), with the requests of both runs; every other row collapsed in
 * a `<details>`, open to whoever wants the full picture.
 */
export function comparisonSectionHtml(run: RunResult): string {
  const c = run.comparison;
  if (!c) return '';
  const { regressed, others } = comparisonTables(c);
  return [
    '<section id="regression">',
    `<h2>${h(comparisonTitle(c))}</h2>`,
    `<p${c.regressions > 0 ? ' class="warning"' : ''}>${h(comparisonSummary(c))}</p>`,
    regressed.rows.length ? rowsTable(regressed, 'regressed') : '',
    others.rows.length ? `<details class="comparison-others">\n<summary>${h(othersTitle(c, others.rows.length))}</summary>\n${rowsTable(others, null)}\n</details>` : '',
    '</section>',
  ].filter(Boolean).join('\n');
}

/** The same section in Markdown: regressed rows as a table, the others in a `<details>` (GitHub and GitLab render it). */
export function comparisonBlocksMarkdown(run: RunResult): string[] {
  const c = run.comparison;
  if (!c) return [];
  const { regressed, others } = comparisonTables(c);
  return [
    `## ${md(comparisonTitle(c), 'space')}`,
    md(comparisonSummary(c), 'space'),
    regressed.rows.length ? `**Regressed**\n\n${mdTable(regressed)}` : '',
    // a blank line after <summary> lets the table inside render as Markdown
    others.rows.length ? `<details><summary>${h(othersTitle(c, others.rows.length))}</summary>\n\n${mdTable(others)}\n\n</details>` : '',
  ].filter(Boolean);
}

function othersTitle(c: RunComparison, n: number): string {
  return `${n} other row${n === 1 ? '' : 's'} (${c.regressions > 0 ? 'not regressed' : 'none regressed'}: ok, not checked, or nothing to compare)`;
}

function rowsTable(t: Table, rowClass: string | null): string {
  const cell = (tag: 'th' | 'td', text: string, i: number): string => `<${tag}${t.numeric[i] ? ' class="num"' : ''}>${h(text)}</${tag}>`;
  const head = `<tr>${t.headers.map((x, i) => cell('th', x, i)).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr${rowClass ? ` class="${rowClass}"` : ''}>${r.map((x, i) => cell('td', x, i)).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="data comparison">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** Regressed rows in the colour of a failure; the word REGRESSED is written too, for print and colour-blind readers. */
export const COMPARISON_CSS = `
table.comparison tr.regressed td { background: #fdecea; }
table.comparison tr.regressed td:last-child { color: #b71c1c; font-weight: 600; }
details.comparison-others > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
`;
