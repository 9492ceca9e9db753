import { outcomeOf, type RunResult } from '../results/index.js';
import { formatMessage, notifyMessage } from './message.js';
import type { NotifyTarget } from './targets.js';

export { formatMessage, notifyMessage, type NotifyMessage } from './message.js';
export { parseNotifyFlag, resolveNotifyTargets, type NotifyFormat, type NotifyTarget, type NotifyWhen, type ResolvedTargets } from './targets.js';

/** How long one webhook may take: a chat service that hangs must not hold the end of the run. */
export const NOTIFY_TIMEOUT_MS = 10_000;

export interface NotifyOptions {
  /** the report's path on this machine (used when a target has no reportUrl) */
  reportPath: string;
  /** the outcome label (PASSED, FAILED…) of the plan's previous run, null when there is none: for `on: change` */
  previousOutcome: string | null;
  timeoutMs?: number;
}

/** What became of one webhook; `error` is safe to print (it never holds the URL). */
export interface NotifyDelivery {
  name: string;
  status: 'sent' | 'not-due' | 'failed';
  /** not-due: why; failed: what went wrong */
  detail?: string;
}

/** Whether a target's `on` asks for this run's message. */
export function isDue(target: Pick<NotifyTarget, 'on'>, run: RunResult, previousOutcome: string | null): { due: boolean; why: string } {
  const outcome = outcomeOf(run);
  if (target.on === 'always') return { due: true, why: 'always' };
  if (target.on === 'failure') return outcome.status === 'passed' ? { due: false, why: 'on failure, and the run passed' } : { due: true, why: 'the run did not pass' };
  if (previousOutcome === null) return { due: true, why: 'first run of the plan' };
  return previousOutcome === outcome.label ? { due: false, why: `on change, and the outcome is ${outcome.label} as in the previous run` } : { due: true, why: `${previousOutcome} → ${outcome.label}` };
}

/**
 * Sends the run's outcome to every target that is due, one after the other, each within its own
 * timeout. Never throws: a webhook that cannot be reached or answers an error is a `failed`
 * delivery, for the caller to warn about; the run's exit code is not the notifier's to change.
 */
export async function notifyRun(run: RunResult, targets: readonly NotifyTarget[], o: NotifyOptions): Promise<NotifyDelivery[]> {
  const out: NotifyDelivery[] = [];
  for (const t of targets) {
    const { due, why } = isDue(t, run, o.previousOutcome);
    if (!due) {
      out.push({ name: t.name, status: 'not-due', detail: why });
      continue;
    }
    const report = t.reportUrl ? fillReportUrl(t.reportUrl, run) : o.reportPath;
    const body = JSON.stringify(formatMessage(notifyMessage(run, report), t.format));
    out.push({ name: t.name, ...(await post(t.url, body, o.timeoutMs ?? NOTIFY_TIMEOUT_MS)) });
  }
  return out;
}

function fillReportUrl(template: string, run: RunResult): string {
  return template.replace(/\{(runId|plan)\}/g, (_m, key: string) => encodeURIComponent(key === 'runId' ? run.runId : run.plan.name));
}

/** One POST through Node's fetch (undici): a 2xx is delivered, anything else is a failure said without the URL. */
async function post(url: string, body: string, timeoutMs: number): Promise<Omit<NotifyDelivery, 'name'>> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    // the answer is read and dropped: a kept-alive socket must not hold the process open
    const text = await res.text();
    if (res.ok) return { status: 'sent' };
    return { status: 'failed', detail: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.name);
    return { status: 'failed', detail: why };
  }
}
