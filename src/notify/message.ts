import { outcomeOf, type OutcomeStatus, type RunResult } from '../results/index.js';
import type { NotifyFormat } from './targets.js';

/** What a notification says, whatever its format: the generic JSON webhook receives exactly this. */
export interface NotifyMessage {
  kind: 'crt-run-outcome';
  /** the run's one outcome, as the report banner says it: `FAILED (exit 1) — 13/15 cases passed, 2 failed` */
  headline: string;
  status: OutcomeStatus;
  exitCode: number;
  plan: { name: string; title: string | null };
  runId: string;
  startedAt: string;
  endedAt: string;
  /** cases that kept the run from passing, with the one line saying why */
  failedCases: { id: string; title: string; verdict: string; reason: string }[];
  /** metrics worse than the baseline run allows */
  regressions: { caseId: string; phase: string | null; metric: string; baseline: number | null; current: number | null; allowed: string | null }[];
  baselineRunId: string | null;
  /** where the report is: the plan's reportUrl filled in, or its path on the machine that ran */
  report: string;
  /** the run's Grafana dashboard, when run.json has one */
  dashboard: string | null;
}

const NOT_PASSED = new Set(['failed', 'aborted', 'inconclusive', 'not-run']);
const MAX_LISTED = 10;

/** The message of a run, from run.json alone (so `crt report` or a test can build the same one). */
export function notifyMessage(run: RunResult, report: string): NotifyMessage {
  const outcome = outcomeOf(run);
  return {
    kind: 'crt-run-outcome',
    headline: outcome.headline, status: outcome.status, exitCode: outcome.exitCode,
    plan: { name: run.plan.name, title: run.plan.title ?? null },
    runId: run.runId, startedAt: run.startedAt, endedAt: run.endedAt,
    failedCases: run.cases.filter((c) => NOT_PASSED.has(c.verdict)).map((c) => ({ id: c.id, title: c.spec.title, verdict: c.verdict, reason: c.reason ?? '' })),
    regressions: (run.comparison?.cases ?? []).flatMap((c) => c.metrics.filter((m) => m.status === 'regressed').map((m) => ({
      caseId: c.id, phase: m.phase, metric: m.metric, baseline: m.baseline, current: m.current, allowed: m.allowed,
    }))),
    baselineRunId: outcome.baselineRunId,
    report,
    dashboard: run.dashboard?.url ?? null,
  };
}

/** The request body for the webhook's format. */
export function formatMessage(m: NotifyMessage, format: NotifyFormat): unknown {
  if (format === 'slack') return slackBody(m);
  if (format === 'teams') return teamsBody(m);
  return m;
}

/** Plain lines shared by the chat formats: the failed cases and regressions, at most ten of each. */
function detailLines(m: NotifyMessage): string[] {
  const lines: string[] = [];
  const list = <T>(items: T[], line: (t: T) => string) => [...items.slice(0, MAX_LISTED).map(line), ...(items.length > MAX_LISTED ? [`… and ${items.length - MAX_LISTED} more`] : [])];
  if (m.failedCases.length) lines.push('Cases not passed:', ...list(m.failedCases, (c) => `• ${c.id} ${c.verdict}: ${c.reason || c.title}`));
  if (m.regressions.length) {
    lines.push(`Regressions against ${m.baselineRunId ?? 'the baseline'}:`, ...list(m.regressions, (r) => `• ${r.caseId}${r.phase ? ` ${r.phase}` : ''} ${r.metric}: ${r.baseline ?? '?'} → ${r.current ?? '?'} (allowed ${r.allowed ?? '?'})`));
  }
  return lines;
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

/** Slack incoming webhook: `text` (the fallback and notification line) and Block Kit sections. */
function slackBody(m: NotifyMessage): unknown {
  // Slack's mrkdwn treats &, < and > as markup
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const link = (url: string, label: string) => (isUrl(url) ? `<${url}|${label}>` : `${label}: ${esc(url)}`);
  const links = [link(m.report, 'Report'), ...(m.dashboard ? [link(m.dashboard, 'Grafana dashboard')] : [])].join(' · ');
  const details = detailLines(m);
  return {
    text: `${m.plan.name} ${m.runId}: ${m.headline}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${esc(m.plan.title ?? m.plan.name)}* — run ${esc(m.runId)}\n*${esc(m.headline)}*` } },
      ...(details.length ? [{ type: 'section', text: { type: 'mrkdwn', text: esc(details.join('\n')) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: links }] },
    ],
  };
}

/** Microsoft Teams (a Workflows webhook, as Office 365 connectors are retired): one Adaptive Card. */
function teamsBody(m: NotifyMessage): unknown {
  const color = m.status === 'passed' ? 'Good' : 'Attention';
  const actions = [
    ...(isUrl(m.report) ? [{ type: 'Action.OpenUrl', title: 'Report', url: m.report }] : []),
    ...(m.dashboard && isUrl(m.dashboard) ? [{ type: 'Action.OpenUrl', title: 'Grafana dashboard', url: m.dashboard }] : []),
  ];
  const body = [
    { type: 'TextBlock', text: `${m.plan.title ?? m.plan.name} — run ${m.runId}`, weight: 'Bolder', wrap: true },
    { type: 'TextBlock', text: m.headline, color, wrap: true },
    ...detailLines(m).map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' })),
    ...(isUrl(m.report) ? [] : [{ type: 'TextBlock', text: `Report: ${m.report}`, wrap: true, isSubtle: true }]),
  ];
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, ...(actions.length ? { actions } : {}) },
    }],
  };
}
