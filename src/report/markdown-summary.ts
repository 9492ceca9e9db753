import type { CaseResult, RunResult } from '../results/index.js';
import { expectationTable, phaseTable, recoveryView, verdictLine, type Table } from './case-tables.js';
import { comparisonTable, comparisonTitle } from './comparison-table.js';
import { escapeHtml, escapeMarkdown as md } from './escape.js';
import { mdTable } from './markdown-parts.js';
import { VERDICT_LABEL, runSummary, type CaseLine } from './view.js';
import { OVERVIEW_HEADERS, figureText, overviewRows, runBanner } from './view-overview.js';

/**
 * `summary.md`: the report to paste into a merge request, a wiki page or a CI comment. GitHub
 * refuses a comment over 65,536 characters, so the summary stays under SUMMARY_LIMIT for any plan:
 * the outcome, the case table, the regressed rows and the links come first and always; each case's
 * detail sits in a `<details>` block, and the blocks of passed cases, then all of them, give way to
 * a link when the limit would be passed.
 */
export const SUMMARY_FILE = 'summary.md';
export const SUMMARY_LIMIT = 60_000;

export interface SummaryLinks {
  /** prefixed to every link (report.html, charts): the URL of the run folder as a CI artifact; '' for relative links */
  baseUrl: string;
  /** case id → its chart PNG, relative to the run folder */
  charts: ReadonlyMap<string, string>;
  /** case id → its anchor in report.html */
  anchors: ReadonlyMap<string, string>;
}

/** `https://ci.example/job/7/artifacts/` + `charts/a.png`; a base without a trailing slash gets one. */
export function linkTo(baseUrl: string, rel: string): string {
  if (!baseUrl) return rel;
  return `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${rel.split('/').map(encodeURIComponent).join('/')}`;
}

export function renderSummaryMarkdown(run: RunResult, links: SummaryLinks): string {
  const head = headBlocks(run, links);
  const details = run.cases.map((c) => caseDetails(c, links));
  const fits = (blocks: readonly string[]): boolean => join(blocks).length <= SUMMARY_LIMIT;
  const tail = (kept: readonly string[], note: string): string[] => ['## Cases', ...(note ? [note] : []), ...kept];
  let out = [...head, ...tail(details, '')];
  if (!fits(out)) {
    // the passed cases' detail goes first: a reader of a summary acts on the others
    const kept = run.cases.flatMap((c, i) => (c.verdict === 'passed' ? [] : [details[i] as string]));
    out = [...head, ...tail(kept, `_The detail of the passed cases is in ${mdLink('report.md', linkTo(links.baseUrl, 'report.md'))}: this summary stays under ${SUMMARY_LIMIT} characters._`)];
  }
  if (!fits(out)) out = [...head, `_The detail of every case is in ${mdLink('report.md', linkTo(links.baseUrl, 'report.md'))}: this summary stays under ${SUMMARY_LIMIT} characters._`];
  if (!fits(out)) out = shortHead(run, links);
  return join(out);
}

function join(blocks: readonly string[]): string {
  return `${blocks.filter(Boolean).join('\n\n')}\n`;
}

function mdLink(text: string, url: string): string {
  return `[${md(text, 'space')}](${url.replace(/[()\s]/g, encodeURIComponent)})`;
}

function headBlocks(run: RunResult, links: SummaryLinks): string[] {
  const s = runSummary(run);
  const banner = runBanner(run);
  return [
    `# ${md(s.title, 'space')}`,
    `**${md(banner.status, 'space')}**${md(banner.text.slice(banner.status.length), 'space')}`,
    s.revertFailures.length ? `> **Revert failed: the system may still hold injected faults.**\n>\n${s.revertFailures.map((f) => `> - ${md(f, 'space')}`).join('\n')}` : '',
    `Run \`${run.runId.replace(/`/g, '')}\` · ${fileLinks(links.baseUrl)}`,
    caseTable(run, links),
    ...regressionBlocks(run),
    ...toleranceBlocks(s.notTolerated, s.notEstablished),
  ];
}

/** Past every other fallback (thousands of cases): the outcome, the failed cases by id, the links. */
function shortHead(run: RunResult, links: SummaryLinks): string[] {
  const banner = runBanner(run);
  const failed = run.cases.filter((c) => c.verdict !== 'passed' && c.verdict !== 'skipped').map((c) => c.id);
  const list = md(failed.slice(0, 500).join(', '), 'space') + (failed.length > 500 ? ` and ${failed.length - 500} more` : '');
  return [`**${md(banner.status, 'space')}**${md(banner.text.slice(banner.status.length), 'space')}`, failed.length ? `Not passed: ${list}` : '', `The cases are in ${fileLinks(links.baseUrl)}.`];
}

function fileLinks(baseUrl: string): string {
  return ['report.html', 'report.pdf', 'report.md', 'junit.xml', 'run.json'].map((f) => mdLink(f, linkTo(baseUrl, f))).join(' · ');
}

function caseTable(run: RunResult, links: SummaryLinks): string {
  const rows = overviewRows(run).map((r) => {
    const anchor = links.anchors.get(r.id);
    const id = anchor ? mdLink(r.id, `${linkTo(links.baseUrl, 'report.html')}#${anchor}`) : md(r.id);
    const verdict = `**${VERDICT_LABEL[r.verdict]}**${r.reason ? ` ${md(r.reason)}` : ''}`;
    return `| ${[id, md(r.layer), md(r.title), verdict, ...[r.faultErrorRate, r.p95, r.clientRecovery, r.clusterRecovery].map((f) => md(figureText(f)))].join(' | ')} |`;
  });
  const rule = `|${OVERVIEW_HEADERS.map((_, i) => (i >= 4 ? '---:' : '---')).join('|')}|`;
  return [`| ${OVERVIEW_HEADERS.join(' | ')} |`, rule, ...rows].join('\n');
}

/** The regressed rows only: the others are in report.html, and would not fit. */
function regressionBlocks(run: RunResult): string[] {
  const c = run.comparison;
  if (!c) return [];
  const t = comparisonTable(c);
  const verdictAt = t.headers.indexOf('verdict');
  const regressed = t.rows.filter((r) => (r[verdictAt] ?? '').startsWith('REGRESSED'));
  const others = t.rows.length - regressed.length;
  return [
    `## ${md(comparisonTitle(c), 'space')}`,
    regressed.length
      ? `${mdTable({ ...t, rows: regressed })}\n\n_${others} other row${others === 1 ? '' : 's'} within ${others === 1 ? 'its limit' : 'their limits'} or not compared: see report.html._`
      : `_No regression: ${t.rows.length} row${t.rows.length === 1 ? '' : 's'} compared._`,
  ];
}

function toleranceBlocks(notTolerated: readonly CaseLine[], notEstablished: readonly CaseLine[]): string[] {
  const item = (l: CaseLine): string => `- ${md(`${l.id} — ${l.title} (${VERDICT_LABEL[l.verdict]})${l.reason ? `: ${l.reason}` : ''}`, 'space')}`;
  return [
    notTolerated.length ? `### What the system does not tolerate\n\n${notTolerated.map(item).join('\n')}` : '',
    notEstablished.length ? `### Could not be established\n\n${notEstablished.map(item).join('\n')}` : '',
  ];
}

/** Only the columns of the phase table a reviewer compares; the full table is in report.md. */
function compactPhases(t: Table): Table {
  const keep = ['phase', 'requests', 'failed', 'error rate', 'req/s', 'p50', 'p95', 'p99', 'max'];
  const idx = keep.map((k) => t.headers.indexOf(k)).filter((i) => i >= 0);
  return { headers: idx.map((i) => t.headers[i] as string), rows: t.rows.map((r) => idx.map((i) => r[i] ?? '')), numeric: idx.map((i) => t.numeric[i] ?? false) };
}

function caseDetails(c: CaseResult, links: SummaryLinks): string {
  const exp = expectationTable(c);
  const phases = phaseTable(c);
  const r = recoveryView(c);
  const chart = links.charts.get(c.id);
  const body = [
    md(c.spec.objective, 'space'),
    exp ? mdTable(exp) : '',
    phases ? mdTable(compactPhases(phases)) : '',
    r ? `Recovery: ${md(r.summary, 'space')}${r.rows.filter(([k]) => k === 'cluster recovered').map(([, v]) => `; cluster recovered ${md(v, 'space')}`).join('')}` : '',
    chart ? `![Load and latency of ${md(c.id, 'space')}](${linkTo(links.baseUrl, chart)})` : '',
  ];
  // <summary> is HTML: its text is escaped as HTML; a blank line after it lets the Markdown inside render
  return [`<details><summary>${escapeHtml(`${c.id} — ${c.spec.title} — ${verdictLine(c)}`)}</summary>`, ...body, '</details>'].filter(Boolean).join('\n\n');
}
