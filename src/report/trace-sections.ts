import type { RunResult } from '../results/index.js';
import { escapeHtml as h, escapeMarkdown as md } from './escape.js';
import { htmlList, htmlPairs, htmlTable, para } from './html-parts.js';
import { mdList, mdPairs, mdTable } from './markdown-parts.js';
import { imageNotes, imageTable, notSelectedTable, signOffRows, traceRows, trendTable } from './trace-tables.js';

/**
 * The traceability, trend and sign-off sections of the HTML and Markdown reports. Each function
 * returns a whole section (empty when there is nothing to show), so the page layout places them.
 */

export function traceabilityHtml(run: RunResult): string {
  const images = imageTable(run);
  const notes = imageNotes(run);
  const notSelected = notSelectedTable(run);
  const changed = run.trace?.images?.changes.length ?? 0;
  return [
    '<section id="traceability">',
    '<h2>Traceability</h2>',
    htmlPairs(traceRows(run)),
    notSelected ? `<h3>Cases of the book not run</h3>\n${htmlTable(notSelected)}` : '',
    images ? `<h3>Images running in ${h(run.trace?.images?.namespaces.join(', ') ?? '')}</h3>\n${htmlTable(images)}` : '',
    notes.length ? `<div class="${changed ? 'alert' : 'warning'}">${changed ? `<strong>${h(`${changed} image${changed === 1 ? '' : 's'} changed during the run`)}</strong>` : ''}${htmlList(notes, '')}</div>` : '',
    '</section>',
  ].filter(Boolean).join('\n');
}

export function traceabilityMarkdown(run: RunResult): string[] {
  const images = imageTable(run);
  const notes = imageNotes(run);
  const notSelected = notSelectedTable(run);
  return [
    '## Traceability',
    mdPairs(traceRows(run), ['', '']),
    notSelected ? `### Cases of the book not run\n\n${mdTable(notSelected)}` : '',
    images ? `### Images running in ${md(run.trace?.images?.namespaces.join(', ') ?? '', 'space')}\n\n${mdTable(images)}` : '',
    notes.length ? mdList(notes, '') : '',
  ].filter(Boolean);
}

/** The plan's last runs, for the regression section's neighbourhood. */
export function trendHtml(run: RunResult): string {
  const t = trendTable(run);
  if (!t) return '';
  return ['<section id="trend">', `<h2>Trend: the last ${t.rows.length} runs of plan ${h(run.plan.name)}</h2>`, htmlTable(t, 'data trend'), para('From the run folders under the same output folder, oldest first.', 'muted'), '</section>'].join('\n');
}

export function trendMarkdown(run: RunResult): string[] {
  const t = trendTable(run);
  if (!t) return [];
  return [`## ${md(`Trend: the last ${t.rows.length} runs of plan ${run.plan.name}`, 'space')}`, mdTable(t)];
}

/** Filled from `crt report --sign-off`, or blank lines to fill in by hand (on paper, or in the Markdown). */
export function signOffHtml(run: RunResult): string {
  const cell = (v: string): string => (v.includes('\n') ? `<ul>${v.split('\n').map((l) => `<li>${h(l)}</li>`).join('')}</ul>` : h(v));
  const rows = signOffRows(run).map(([k, v]) => `<tr><th scope="row">${h(k)}</th><td class="${v ? 'filled' : 'blank'}">${cell(v)}</td></tr>`);
  const note = run.signOff ? '' : para('To be filled in by hand, or with crt report --sign-off sign-off.yaml.', 'muted');
  return ['<section id="sign-off">', '<h2>Sign-off</h2>', note, `<table class="pairs sign-off">\n${rows.join('\n')}\n</table>`, '</section>'].filter(Boolean).join('\n');
}

export function signOffMarkdown(run: RunResult): string[] {
  const rows = signOffRows(run).map(([k, v]): [string, string] => [k, v.replace(/\n/g, '; ')]);
  return ['## Sign-off', run.signOff ? '' : '_To be filled in by hand, or with `crt report --sign-off sign-off.yaml`._', mdPairs(rows, ['', ''])].filter(Boolean);
}

export const TRACE_CSS = `
table.sign-off { width: 100%; }
table.sign-off th { width: 14em; }
table.sign-off td.blank { height: 2.4em; }
`;
