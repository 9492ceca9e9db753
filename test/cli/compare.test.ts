import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import type { RunComparison, RunResult } from '../../src/results/types.js';

describe('crt compare and crt run --baseline', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | null = null;
  /** what the server waits before answering, changed between runs */
  let delayMs = 1;
  beforeEach(async () => {
    tmp = await tempDir();
    delayMs = 1;
    server = await startServer((_req, res) => void setTimeout(() => res.end('ok'), delayMs));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await tmp.remove();
  });

  const plan = (name = 'nightly', caseExtra = '') => `apiVersion: crt/v1
metadata: {name: ${name}}
targets:
  srv: {url: "${server!.url}"}
regression: {p95: +30ms}
layers:
  logical:
    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, connections: 2, duration: 1s}${caseExtra}}
`;
  const runJson = async (id: string) => JSON.parse(await readFile(path.join(tmp.dir, 'reports', id, 'run.json'), 'utf8')) as RunResult;
  const run = async (id: string, file: string, ...extra: string[]) => {
    const r = await crt(['run', file, '--run-id', id, ...extra], { cwd: tmp.dir });
    return r;
  };

  it('fails a run whose p95 grew past the plan threshold: exit 1, run.json, report.md, report.html and junit.xml show it', async () => {
    const file = await writePlan(tmp.dir, plan());
    expect((await run('fast', file)).code).to.equal(0);
    delayMs = 60;
    const r = await run('slow', file, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/REGRESSION: 1 regression against fast \(started .*, passed\)/);
    const slow = await runJson('slow');
    expect(slow.verdict).to.equal('passed');
    const c = slow.comparison!;
    expect(c.baseline.runId).to.equal('fast');
    expect(c.regressions).to.equal(1);
    const whole = c.cases[0]!.metrics.find((m) => m.phase === 'whole' && m.metric === 'p95')!;
    expect(whole.status).to.equal('regressed');
    expect(whole.current! - whole.baseline!).to.be.above(30);
    const md = await readFile(path.join(tmp.dir, 'reports', 'slow', 'report.md'), 'utf8');
    expect(md).to.include('## Regression against fast');
    expect(md).to.match(/\| LOG-01 \| whole \| p95 \| [\d.]+ ms \| [\d.]+ ms \| \+[\d.]+ ms \(\+\d+%\) \| \+30ms \| \d+ \/ \d+ \| REGRESSED \|/);
    const html = await readFile(path.join(tmp.dir, 'reports', 'slow', 'report.html'), 'utf8');
    expect(html).to.include('<h2>Regression against fast</h2>');
    const junit = await readFile(path.join(tmp.dir, 'reports', 'slow', 'junit.xml'), 'utf8');
    // the case, the two regression checks, and the run's outcome (failed, like the exit code)
    expect(junit).to.match(/<testsuites name="crt: nightly" tests="4" failures="2" errors="0" skipped="0"/);
    expect(junit).to.match(/<testcase classname="nightly.regression" name="LOG-01 p95" time="0.000">\n\s+<failure message="LOG-01 regressed: whole p95: [\d.]+ ms → [\d.]+ ms[^"]*allowed \+30ms" type="regression">/);
    expect(junit).to.include('<testcase classname="nightly.regression" name="LOG-01 errorRate" time="0.000"/>');
  });

  it('a run whose cases all passed but that regressed exits 1, and says FAILED everywhere: last stderr line, banner, report.md, junit.xml, run.json', async () => {
    const file = await writePlan(tmp.dir, plan());
    expect((await run('fast', file)).code).to.equal(0);
    delayMs = 60;
    const r = await run('slow', file, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(1);
    const headline = 'FAILED (exit 1) — 1/1 case passed, 1 regression against fast';
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal(headline);
    const slow = await runJson('slow');
    expect(slow.outcome).to.deep.include({ status: 'failed', exitCode: r.code, headline, regressions: 1, baselineRunId: 'fast' });
    const dir = path.join(tmp.dir, 'reports', 'slow');
    const html = await readFile(path.join(dir, 'report.html'), 'utf8');
    const banner = /<div class="outcome (\S+)" role="status" data-exit-code="(\d+)"><p class="outcome-headline"><strong>([A-Z ]+)<\/strong> ([^<]*)<\/p>/.exec(html);
    expect(banner, 'the banner').not.to.equal(null);
    expect(Number(banner![2]), 'the banner\'s exit code is the process\'s').to.equal(r.code);
    expect(`${banner![3]} ${banner![4]}`).to.equal(headline);
    expect(html).not.to.match(/Overall verdict/);
    expect(await readFile(path.join(dir, 'report.md'), 'utf8')).to.include(`> **FAILED** (exit 1) — 1/1 case passed, 1 regression against fast`);
    expect(await readFile(path.join(dir, 'junit.xml'), 'utf8')).to.include(`<failure message="${headline}" type="failed">`);
    // and the run it was compared with passed: the same words, exit 0
    expect((await runJson('fast')).outcome).to.deep.include({ status: 'passed', exitCode: 0, headline: 'PASSED (exit 0) — 1/1 case passed' });
    // the trend of the plan: both runs, this one last
    expect(slow.trend!.map((p) => [p.runId, p.outcome])).to.deep.equal([['fast', 'PASSED'], ['slow', 'FAILED']]);
    expect(html).to.include('<h2>Trend: the last 2 runs of plan nightly</h2>');
  });

  it('records who ran it, the plan\'s hash and the coverage, links the dashboard, and crt report --sign-off fills the sign-off block', async () => {
    const file = await writePlan(tmp.dir, plan('nightly', '}\n    - {id: LOG-02, title: other, objective: serve, tags: [slow], load: {target: srv, connections: 1, duration: 1s}'));
    const env = { USER: 'jane', GITLAB_CI: 'true', CI_JOB_NAME: 'crt', CI_JOB_ID: '77', CI_JOB_URL: 'https://gitlab.example/j/77' };
    const r = await crt(['run', file, '--run-id', 'traced', '--exclude-tags', 'slow', '--grafana-url', 'https://grafana.example/d/crt?from={from}&to={to}&var-run={runId}'], { cwd: tmp.dir, env });
    expect(r.code, r.stderr).to.equal(0);
    const traced = await runJson('traced');
    expect(traced.trace).to.deep.include({ operator: 'jane', kubernetesVersion: null, images: null });
    expect(traced.trace!.ci).to.deep.include({ system: 'GitLab CI', job: 'crt #77', url: 'https://gitlab.example/j/77' });
    expect(traced.trace!.plan.sha256).to.equal(createHash('sha256').update(await readFile(file)).digest('hex'));
    expect(traced.trace!.coverage).to.deep.equal({ selected: 1, total: 2, notSelected: [{ id: 'LOG-02', layer: 'logical', why: 'tag slow excluded by --exclude-tags' }] });
    expect(traced.dashboard!.url).to.equal(`https://grafana.example/d/crt?from=${Date.parse(traced.startedAt)}&to=${Date.parse(traced.endedAt)}&var-run=traced`);
    const dir = path.join(tmp.dir, 'reports', 'traced');
    const before = await readFile(path.join(dir, 'report.html'), 'utf8');
    expect(before).to.include('<td class="blank"></td>');
    expect(before).to.include('1 of 2 cases of the book run');

    // a sign-off file with a mistake changes nothing
    await writeFile(path.join(tmp.dir, 'bad.yaml'), 'preparedBy: Jane\nreviewer: Max\n');
    const bad = await crt(['report', dir, '--sign-off', 'bad.yaml'], { cwd: tmp.dir });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('bad.yaml:2:11 reviewer: unknown key');
    expect(await readFile(path.join(dir, 'report.html'), 'utf8')).to.equal(before);
    expect((await runJson('traced')).signOff).to.equal(undefined);

    await writeFile(path.join(tmp.dir, 'sign-off.yaml'), 'preparedBy: Jane\nreviewedBy: Max\ndecision: accepted\ndate: 2026-12-07\ndeviations: [LOG-02 not run]\n');
    const ok = await crt(['report', dir, '--sign-off', 'sign-off.yaml'], { cwd: tmp.dir });
    expect(ok.code, ok.stderr).to.equal(0);
    expect((await runJson('traced')).signOff).to.deep.equal({ preparedBy: 'Jane', reviewedBy: 'Max', decision: 'accepted', date: '2026-12-07', deviations: ['LOG-02 not run'] });
    const after = await readFile(path.join(dir, 'report.html'), 'utf8');
    expect(after).to.include('<tr><th scope="row">reviewed by</th><td class="filled">Max</td></tr>');
    expect(after).to.include('<tr><th scope="row">deviations / known issues</th><td class="filled">LOG-02 not run</td></tr>');
    expect(await readFile(path.join(dir, 'report.md'), 'utf8')).to.include('| decision | accepted |');
  });

  it('refuses a dashboard template without its time range before running anything (exit 2)', async () => {
    const file = await writePlan(tmp.dir, plan());
    const r = await crt(['run', file, '--run-id', 'x'], { cwd: tmp.dir, env: { CRT_GRAFANA_URL: 'https://grafana.example/d/crt' } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('CRT_GRAFANA_URL has no {from} and {to}');
    expect(server!.count).to.equal(0);
  });

  it('crt compare prints the delta table, writes comparison.json and exits 1 on a regression, 0 without', async () => {
    const file = await writePlan(tmp.dir, plan());
    expect((await run('a', file)).code).to.equal(0);
    delayMs = 60;
    expect((await run('b', file)).code).to.equal(0);
    const r = await crt(['compare', 'b', '--baseline', 'a'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^case\s+phase\s+metric\s+baseline\s+current\s+delta\s+allowed\s+requests\s+verdict$/);
    // the regressed row comes first
    expect(lines[1]).to.match(/^LOG-01\s+whole\s+p95 .*REGRESSED$/);
    expect(lines.find((l) => /^LOG-01\s+whole\s+p95 /.test(l))).to.match(/\+30ms\s+\d+ \/ \d+\s+REGRESSED$/);
    expect(lines.find((l) => /^LOG-01\s+whole\s+errorRate /.test(l))).to.match(/0%\s+0%\s+±0 pt\s+\+1%\s+\d+ \/ \d+\s+ok( \(few samples: under 100 requests\))?$/);
    const saved = JSON.parse(await readFile(path.join(tmp.dir, 'reports', 'b', 'comparison.json'), 'utf8')) as RunComparison;
    expect(saved.regressions).to.equal(1);
    const again = await crt(['compare', path.join(tmp.dir, 'reports', 'b'), '--baseline', 'a'], { cwd: tmp.dir });
    expect(again.code).to.equal(1);
    expect(await readFile(path.join(tmp.dir, 'reports', 'b', 'comparison.json'), 'utf8')).to.equal(`${JSON.stringify(saved, null, 2)}\n`);
    const reverse = await crt(['compare', 'a', '--baseline', 'b'], { cwd: tmp.dir });
    expect(reverse.stderr).not.to.include('note:');
    expect(reverse.code, reverse.stdout).to.equal(0);
    expect(reverse.stderr).to.match(/^compare: no regression against b/);
  });

  it('last-good is the newest passed run of the same plan', async () => {
    // failed, interrupted and regressed runs are passed over too: see test/unit/results/compare.test.ts
    const file = await writePlan(tmp.dir, plan());
    const other = await writePlan(tmp.dir, plan('other'), 'other.yaml');
    expect((await run('r1', file)).code).to.equal(0);
    expect((await run('r2', file)).code).to.equal(0);
    const r3 = await run('r3', other, '--baseline', 'r2');
    expect(r3.code).to.equal(0);
    expect(r3.stderr).to.include('note: the baseline r2 is a run of plan nightly, not other: cases are matched by id\n');
    const r = await run('r4', file, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/compare: no regression against r2 /);
    expect((await runJson('r4')).comparison!.baseline.runId).to.equal('r2');
  });

  it('says so and passes when there is no last good run yet', async () => {
    const file = await writePlan(tmp.dir, plan());
    const r = await run('first', file, '--baseline', 'last-good');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('no last good run of plan nightly under reports/ yet: this run will not be compared');
    expect((await runJson('first')).comparison).to.equal(undefined);
    const cmp = await crt(['compare', 'first', '--baseline', 'last-good'], { cwd: tmp.dir });
    expect(cmp).to.include({ code: 0, stdout: '' });
    expect(cmp.stderr).to.equal('no last good run of plan nightly under reports/: nothing to compare with yet\n');
  });

  it('exits 2 on an unknown run or baseline, before running anything', async () => {
    const file = await writePlan(tmp.dir, plan());
    const r = await run('x', file, '--baseline', 'nope');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('error: unknown run "nope": neither nope nor reports/nope holds a run.json');
    expect(server!.count).to.equal(0);
    const cmp = await crt(['compare', 'missing', '--baseline', 'last-good'], { cwd: tmp.dir });
    expect(cmp.code).to.equal(2);
    expect(cmp.stderr).to.include('unknown run "missing"');
  });
});
