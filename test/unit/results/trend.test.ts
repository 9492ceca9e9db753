import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readTrend, trendPoint } from '../../../src/results/trend.js';
import type { RunResult } from '../../../src/results/types.js';
import { trendTable } from '../../../src/report/trace-tables.js';
import { fixtureRun } from '../report/fixture.js';
import { tempDir } from '../../helpers/tmp.js';

const FIXTURE = fixtureRun();
const runAt = (runId: string, day: number, extra: Partial<RunResult> = {}): RunResult => ({ ...FIXTURE, runId, startedAt: `2026-12-0${day}T01:00:00.000Z`, ...extra });

describe('the trend of a plan over its last runs', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  async function folder(run: RunResult | string, name: string): Promise<void> {
    await mkdir(path.join(tmp.dir, name));
    await writeFile(path.join(tmp.dir, name, 'run.json'), typeof run === 'string' ? run : JSON.stringify(run));
  }

  it('sums requests and failures, and names the case of the highest p95 and of the longest recovery', () => {
    const p = trendPoint(FIXTURE);
    const wholes = FIXTURE.cases.map((c) => c.phases.find((x) => x.name === 'whole')?.stats).filter((s) => s);
    expect(p.requests).to.equal(wholes.reduce((n, s) => n + s!.requests, 0));
    expect(p.failed).to.equal(wholes.reduce((n, s) => n + s!.failed, 0));
    const highest = Math.max(...wholes.map((s) => s!.latency!.p95));
    expect(p.worstP95!.ms).to.equal(highest);
    expect(p).to.deep.include({ runId: FIXTURE.runId, outcome: 'FAILED', passed: 1, cases: 3, regressions: null });
    const notRecovered = { ...FIXTURE, cases: FIXTURE.cases.map((c) => (c.recovery ? { ...c, id: 'X', recovery: { ...c.recovery, recoveryTimeMs: null } } : c)) };
    expect(trendPoint(notRecovered).worstRecovery).to.deep.equal({ caseId: 'X', ms: null });
  });

  it('reads the last runs of the same plan under --out, oldest first, this run last, passing over other plans and unreadable folders', async () => {
    for (let day = 1; day <= 5; day++) await folder(runAt(`n-${day}`, day), `n-${day}`);
    await folder(runAt('other', 3, { plan: { ...FIXTURE.plan, name: 'another-plan' } }), 'other');
    await folder('{ torn', 'torn');
    await folder(runAt('later', 9), 'later');
    const current = runAt('now', 7);
    const points = await readTrend(tmp.dir, current, 4);
    expect(points.map((p) => p.runId)).to.deep.equal(['n-3', 'n-4', 'n-5', 'now']);
    expect((await readTrend(path.join(tmp.dir, 'absent'), current)).map((p) => p.runId)).to.deep.equal(['now']);
  });

  it('is a table in the report from two runs on, this run marked', async () => {
    await folder(runAt('n-1', 1), 'n-1');
    const current = runAt('now', 7);
    const t = trendTable({ ...current, trend: await readTrend(tmp.dir, current) })!;
    expect(t.headers).to.deep.equal(['run', 'started', 'outcome', 'cases passed', 'regressions', 'requests', 'error rate', 'highest p95 (case)', 'longest recovery (case)']);
    expect(t.rows.map((r) => r[0])).to.deep.equal(['n-1', 'now (this run)']);
    expect(t.rows[1]!.slice(1, 5)).to.deep.equal(['2026-12-07 01:00:00 UTC', 'FAILED', '1/3', '–']);
    expect(trendTable({ ...current, trend: [trendPoint(current)] })).to.equal(null);
  });
});
