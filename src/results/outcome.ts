import { ExitCode } from '../core/index.js';
import type { OutcomeStatus, RunOutcomeSummary, RunResult } from './types.js';

const LABEL: Record<OutcomeStatus, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  interrupted: 'INTERRUPTED',
  'revert-failed': 'REVERT FAILED',
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The one outcome of a run: what the report banner, report.md, junit.xml, run.json, the exit code
 * and the last line on stderr all say. Computed from the run alone (cases, comparison, reverts,
 * signal), so a report rendered again later from run.json says what the run said when it ended.
 * Severity, highest first: a failed revert (exit 4), a signal (130/143),
 * then anything that keeps the run from passing (exit 1): a case failed, aborted, inconclusive
 * or not run, or a regression against the baseline. Skipped cases do not count against a run.
 */
export function runOutcome(run: Pick<RunResult, 'counts' | 'comparison' | 'revertFailures' | 'interrupted'>): RunOutcomeSummary {
  const c = run.counts;
  const regressions = run.comparison?.regressions ?? 0;
  const revertFailures = (run.revertFailures ?? []).length;
  const reasons: string[] = [];
  if (revertFailures) reasons.push(`${plural(revertFailures, 'revert')} failed: the cluster may still hold injected faults`);
  if (run.interrupted) reasons.push(`interrupted by ${run.interrupted}`);
  if (c.failed) reasons.push(`${plural(c.failed, 'case')} failed`);
  if (c.aborted) reasons.push(`${plural(c.aborted, 'case')} aborted`);
  if (c.inconclusive) reasons.push(`${plural(c.inconclusive, 'case')} inconclusive`);
  if (c.notRun) reasons.push(`${plural(c.notRun, 'case')} not run`);
  if (regressions) reasons.push(`${plural(regressions, 'regression')} against ${run.comparison?.baseline.runId ?? 'the baseline'}`);
  const status: OutcomeStatus = revertFailures ? 'revert-failed' : run.interrupted ? 'interrupted' : reasons.length ? 'failed' : 'passed';
  const exitCode = status === 'revert-failed' ? ExitCode.revertFailed
    : status === 'interrupted' ? (run.interrupted === 'SIGTERM' ? ExitCode.sigterm : ExitCode.sigint)
      : status === 'failed' ? ExitCode.failed : ExitCode.passed;
  return {
    status, exitCode, label: LABEL[status], counts: { ...c }, regressions,
    baselineRunId: run.comparison?.baseline.runId ?? null, revertFailures, reasons,
    headline: `${LABEL[status]} (exit ${exitCode}) — ${outcomeDetail(run)}`,
  };
}

/** `15/15 cases passed, 2 regressions against nightly-41`: the figures after the label. */
function outcomeDetail(run: Pick<RunResult, 'counts' | 'comparison' | 'revertFailures' | 'interrupted'>): string {
  const c = run.counts;
  // skipped cases were never meant to run here: they are listed, not counted as missing passes
  const counted = c.total - c.skipped;
  const parts = [`${c.passed}/${counted} ${counted === 1 ? 'case' : 'cases'} passed`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.aborted) parts.push(`${c.aborted} aborted`);
  if (c.inconclusive) parts.push(`${c.inconclusive} inconclusive`);
  if (c.notRun) parts.push(`${c.notRun} not run`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  const cmp = run.comparison;
  if (cmp) parts.push(`${cmp.regressions === 0 ? 'no regression' : plural(cmp.regressions, 'regression')} against ${cmp.baseline.runId}`);
  if (run.interrupted) parts.push(`interrupted by ${run.interrupted}`);
  const reverts = (run.revertFailures ?? []).length;
  if (reverts) parts.push(`${plural(reverts, 'revert')} failed`);
  return parts.join(', ');
}

/** The outcome run.json recorded, or (run.json written before outcomes were recorded) the one its figures give. */
export function outcomeOf(run: RunResult): RunOutcomeSummary {
  return run.outcome ?? runOutcome(run);
}
