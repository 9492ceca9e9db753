import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readRunJson } from './last-good.js';
import { outcomeOf } from './outcome.js';
import type { RunResult, TrendPoint } from './types.js';

/** Runs a trend shows by default: this one and the nine before it. */
export const TREND_RUNS = 10;

/** The key figures of one run: outcome, cases passed, requests and failures, the worst p95 and recovery time. */
export function trendPoint(run: RunResult): TrendPoint {
  let requests = 0;
  let failed = 0;
  let worstP95: TrendPoint['worstP95'] = null;
  let worstRecovery: TrendPoint['worstRecovery'] = null;
  for (const c of run.cases) {
    const whole = c.phases.find((p) => p.name === 'whole')?.stats;
    if (whole) {
      requests += whole.requests;
      failed += whole.failed;
      const p95 = whole.latency?.p95;
      if (p95 !== undefined && (!worstP95 || p95 > worstP95.ms)) worstP95 = { caseId: c.id, ms: p95 };
    }
    if (c.recovery) {
      const ms = c.recovery.recoveryTimeMs;
      // not recovered (null) is worse than any time
      const worse = !worstRecovery || (worstRecovery.ms !== null && (ms === null || ms > worstRecovery.ms));
      if (worse) worstRecovery = { caseId: c.id, ms };
    }
  }
  return {
    runId: run.runId, startedAt: run.startedAt, outcome: outcomeOf(run).label,
    passed: run.counts.passed, cases: run.counts.total - run.counts.skipped,
    regressions: run.comparison ? run.comparison.regressions : null,
    requests, failed, worstP95, worstRecovery,
  };
}

/**
 * The trend of a plan's key figures: the last `limit` runs of the plan named like `current`'s
 * under `out` (by start time), `current` last. Run folders of other plans, of another result
 * schema, or without a readable run.json are passed over; interrupted runs are kept (they are part
 * of the history a reader should see).
 */
export async function readTrend(out: string, current: RunResult, limit = TREND_RUNS): Promise<TrendPoint[]> {
  let names: string[];
  try {
    names = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [trendPoint(current)];
    throw err;
  }
  const earlier: RunResult[] = [];
  for (const name of names) {
    const run = await readRunJson(path.join(out, name));
    if (run && run.plan?.name === current.plan.name && run.runId !== current.runId && run.startedAt < current.startedAt) earlier.push(run);
  }
  earlier.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  return [...earlier.slice(Math.max(0, earlier.length - (limit - 1))).map(trendPoint), trendPoint(current)];
}
