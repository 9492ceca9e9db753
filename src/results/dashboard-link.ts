import { UsageError } from '../core/index.js';
import type { DashboardLink } from './trace.js';
import type { RunResult } from './types.js';

/** The placeholders a dashboard link template may hold. */
export const DASHBOARD_PLACEHOLDERS = ['{from}', '{to}', '{runId}', '{plan}'] as const;

/**
 * Checks a dashboard link template (`--grafana-url`, `CRT_GRAFANA_URL`): an http(s) URL, with
 * `{from}` and `{to}` (epoch ms) where the time range goes. `what` names where it came from.
 */
export function checkDashboardTemplate(template: string, what: string): void {
  const example = 'e.g. https://grafana.example.com/d/crt-run/crt?from={from}&to={to}&var-run={runId}';
  let url: URL;
  try {
    url = new URL(template.replace(/\{(from|to|runId|plan)\}/g, '0'));
  } catch {
    throw new UsageError(`${what} ${JSON.stringify(template)} is not a URL`, { hint: example });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${what} must be an http or https URL, not ${url.protocol}`, { hint: example });
  if (!template.includes('{from}') || !template.includes('{to}')) throw new UsageError(`${what} has no {from} and {to}: the link would not show the run's time range`, { hint: example });
}

/** The link to the run's dashboard: the template with the run's time range (start to end, epoch ms), run id and plan filled in. */
export function dashboardLink(template: string, run: Pick<RunResult, 'runId' | 'startedAt' | 'endedAt' | 'plan'>): DashboardLink {
  const fromMs = Date.parse(run.startedAt);
  const toMs = Date.parse(run.endedAt);
  const values: Record<string, string> = { '{from}': String(fromMs), '{to}': String(toMs), '{runId}': run.runId, '{plan}': run.plan.name };
  const url = template.replace(/\{(from|to|runId|plan)\}/g, (m) => encodeURIComponent(values[m] ?? m));
  return { url, fromMs, toMs };
}
