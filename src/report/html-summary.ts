import type { RunResult } from '../results/index.js';
import { escapeHtml as h } from './escape.js';
import { badge, htmlList } from './html-parts.js';
import type { CaseLine, RunSummary } from './view.js';
import { OVERVIEW_HEADERS, boundMark, overviewRows, type BoundedFigure, type OverviewRow } from './view-overview.js';

/**
 * The first screen of report.html, what a release manager reads to decide: the run's outcome, one
 * row per case with its verdict, its reason and its key figures against their bounds, then what the
 * system tolerates, does not tolerate, and what could not be established.
 */

export function overviewHtml(run: RunResult, anchor: (c: { id: string }) => string): string {
  const rows = overviewRows(run);
  if (rows.length === 0) return '<p class="muted">No case was selected.</p>';
  const head = OVERVIEW_HEADERS.map((x, i) => `<th${i >= 4 ? ' class="num"' : ''}>${h(x)}</th>`).join('');
  const body = rows.map((r) => overviewRowHtml(r, anchor)).join('\n');
  return `<div class="scroll"><table class="data overview">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

function overviewRowHtml(r: OverviewRow, anchor: (c: { id: string }) => string): string {
  const cells = [
    `<td data-label="case"><a href="#${h(anchor(r))}">${h(r.id)}</a></td>`,
    `<td data-label="layer">${h(r.layer)}</td>`,
    `<td data-label="title">${h(r.title)}</td>`,
    `<td data-label="verdict">${badge(r.verdict)}${r.reason ? ` <span class="reason">${h(r.reason)}</span>` : ''}</td>`,
    figureHtml('fault error rate', r.faultErrorRate),
    figureHtml('p95', r.p95),
    figureHtml('client recovery', r.clientRecovery),
    figureHtml('cluster recovery', r.clusterRecovery),
  ];
  return `<tr class="verdict-${r.verdict}">${cells.join('')}</tr>`;
}

function figureHtml(label: string, f: BoundedFigure): string {
  const bound = f.bound ? `<span class="bound ${f.verdict ?? ''}">${h(f.bound)} ${boundMark(f)}</span>` : '';
  return `<td class="num" data-label="${h(label)}">${h(f.value)}${bound}</td>`;
}

function caseItems(lines: readonly CaseLine[], anchor: (c: { id: string }) => string, withReason: boolean): string {
  const items = lines.map((l) => {
    const reason = withReason && l.reason ? `: ${h(l.reason)}` : '';
    const verdict = withReason ? ` ${badge(l.verdict)}` : '';
    return `<li><a href="#${h(anchor(l))}">${h(l.id)} — ${h(l.title)}</a>${verdict}${reason}</li>`;
  });
  return items.length ? `<ul>\n${items.join('\n')}\n</ul>` : '<p class="muted">none</p>';
}

/** What the system tolerates, does not, and what the run could not establish (not run, inconclusive). */
export function toleranceHtml(s: RunSummary, anchor: (c: { id: string }) => string): string {
  return [
    '<div class="tolerance">',
    '<div><h3>What the system tolerates</h3>',
    caseItems(s.tolerated, anchor, false),
    '</div><div><h3>What it does not tolerate</h3>',
    caseItems(s.notTolerated, anchor, true),
    '</div>',
    s.notEstablished.length ? `<div><h3>Could not be established</h3>\n${caseItems(s.notEstablished, anchor, true)}</div>` : '',
    '</div>',
  ].join('\n');
}

export function revertAlertHtml(s: RunSummary): string {
  return s.revertFailures.length
    ? `<div class="alert"><strong>Revert failed: the system may still hold injected faults.</strong>\n${htmlList(s.revertFailures, '')}</div>`
    : '';
}
