import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../src/core/index.js';
import { formatMessage, isDue, notifyMessage, parseNotifyFlag, resolveNotifyTargets } from '../../../src/notify/index.js';
import type { RunComparison, RunResult } from '../../../src/results/types.js';
import { fixtureRun } from '../report/fixture.js';

const HEADLINE = 'FAILED (exit 1) — 1/3 cases passed, 1 failed, 1 not run';

function comparison(): RunComparison {
  return {
    baseline: { runId: 'nightly-41', startedAt: '2024-04-30T10:00:00.000Z', verdict: 'passed', source: 'reports/nightly-41' },
    current: { runId: 'run-2024-05-01-1000', startedAt: '2024-05-01T10:00:00.000Z' },
    cases: [{
      id: 'L-01', status: 'compared', baselineVerdict: 'passed', currentVerdict: 'passed',
      metrics: [
        { phase: 'whole', metric: 'p95', baseline: 12, current: 30, delta: 18, allowed: '+25% or +5ms', limit: 17, status: 'regressed' },
        { phase: 'whole', metric: 'errorRate', baseline: 0, current: 0, delta: 0, allowed: '+1%', limit: 0.01, status: 'ok' },
      ],
    }],
    regressions: 1,
  };
}

const passedRun = (): RunResult => {
  const run = fixtureRun();
  return { ...run, cases: run.cases.map((c) => ({ ...c, verdict: 'passed' as const })), counts: { ...run.counts, passed: 3, failed: 0, notRun: 0 } };
};

describe('notification message', () => {
  it('carries the run\'s one outcome, the cases not passed with why, the regressions and both links', () => {
    const run = { ...fixtureRun(), comparison: comparison(), dashboard: { url: 'https://grafana.example/d/crt?from=1&to=2', fromMs: 1, toMs: 2 } };
    const m = notifyMessage(run, '/srv/reports/run-1/report.html');
    expect(m.headline).to.equal('FAILED (exit 1) — 1/3 cases passed, 1 failed, 1 not run, 1 regression against nightly-41');
    expect(m.status).to.equal('failed');
    expect(m.failedCases).to.deep.equal([
      { id: 'L-02', title: 'Pod kill: a | b', verdict: 'failed', reason: '1 of 3 expectations failed: whole p95 ≤ 200ms' },
      { id: 'P-01', title: 'Power-off of a worker node', verdict: 'not-run', reason: 'condition gateway-health failed: HTTP 503' },
    ]);
    expect(m.regressions).to.deep.equal([{ caseId: 'L-01', phase: 'whole', metric: 'p95', baseline: 12, current: 30, allowed: '+25% or +5ms' }]);
    expect(m.report).to.equal('/srv/reports/run-1/report.html');
    expect(m.dashboard).to.equal('https://grafana.example/d/crt?from=1&to=2');
  });

  it('says the outcome run.json recorded, not one computed again', () => {
    const run = fixtureRun();
    const m = notifyMessage({ ...run, outcome: { status: 'interrupted', exitCode: 130, label: 'INTERRUPTED', counts: run.counts, regressions: 0, baselineRunId: null, revertFailures: 0, reasons: [], headline: 'INTERRUPTED (exit 130) — recorded' } }, 'r');
    expect(m.headline).to.equal('INTERRUPTED (exit 130) — recorded');
    expect(m.exitCode).to.equal(130);
  });

  it('formats Slack Block Kit with the headline as text, escaped markup and links', () => {
    const m = notifyMessage({ ...fixtureRun(), dashboard: { url: 'https://grafana.example/d/x', fromMs: 1, toMs: 2 } }, 'https://ci.example/run/report.html');
    const body = formatMessage(m, 'slack') as { text: string; blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[] };
    expect(body.text).to.equal(`demo-crt run-2024-05-01-1000: ${HEADLINE}`);
    expect(body.blocks[0]!.text!.text).to.equal(`*Demo platform acceptance &amp; resilience* — run run-2024-05-01-1000\n*${HEADLINE}*`);
    expect(body.blocks[1]!.text!.text).to.contain('• L-02 failed: 1 of 3 expectations failed: whole p95 ≤ 200ms');
    expect(body.blocks[2]!.elements![0]!.text).to.equal('<https://ci.example/run/report.html|Report> · <https://grafana.example/d/x|Grafana dashboard>');
  });

  it('formats a Teams Adaptive Card, the report path as text when it is not a URL', () => {
    const body = formatMessage(notifyMessage(fixtureRun(), '/srv/reports/r/report.html'), 'teams') as { type: string; attachments: { contentType: string; content: { type: string; body: { text: string; color?: string }[]; actions?: unknown[] } }[] };
    expect(body.type).to.equal('message');
    const card = body.attachments[0]!;
    expect(card.contentType).to.equal('application/vnd.microsoft.card.adaptive');
    expect(card.content.type).to.equal('AdaptiveCard');
    expect(card.content.body[1]).to.deep.include({ text: HEADLINE, color: 'Attention' });
    expect(card.content.body.at(-1)!.text).to.equal('Report: /srv/reports/r/report.html');
    expect(card.content.actions).to.equal(undefined);
  });

  it('sends the message itself as generic JSON', () => {
    const m = notifyMessage(fixtureRun(), 'r');
    expect(formatMessage(m, 'json')).to.equal(m);
    expect(m.kind).to.equal('crt-run-outcome');
  });
});

describe('when a notification is due', () => {
  it('on failure: for a run that did not pass only', () => {
    expect(isDue({ on: 'failure' }, fixtureRun(), null).due).to.equal(true);
    expect(isDue({ on: 'failure' }, passedRun(), null)).to.deep.equal({ due: false, why: 'on failure, and the run passed' });
  });

  it('on change: when the outcome differs from the previous run\'s, or there is none', () => {
    expect(isDue({ on: 'change' }, fixtureRun(), 'FAILED')).to.deep.equal({ due: false, why: 'on change, and the outcome is FAILED as in the previous run' });
    expect(isDue({ on: 'change' }, passedRun(), 'FAILED')).to.deep.equal({ due: true, why: 'FAILED → PASSED' });
    expect(isDue({ on: 'change' }, passedRun(), null).due).to.equal(true);
  });

  it('always: a passed run too', () => {
    expect(isDue({ on: 'always' }, passedRun(), 'PASSED').due).to.equal(true);
  });
});

describe('notification targets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'crt-notify-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the URL from the named variable or file, on failure by default', () => {
    writeFileSync(path.join(dir, 'teams-url'), 'https://example.invalid/teams/secret-path\n');
    const r = resolveNotifyTargets([{ format: 'slack', urlEnv: 'SLACK_URL', on: 'always' }, { format: 'teams', urlFile: 'teams-url' }], { SLACK_URL: 'https://hooks.example.invalid/T1/B2/secret' }, dir);
    expect(r.warnings).to.deep.equal([]);
    expect(r.targets).to.deep.equal([
      { name: 'slack (urlEnv SLACK_URL)', format: 'slack', on: 'always', url: 'https://hooks.example.invalid/T1/B2/secret' },
      { name: 'teams (urlFile teams-url)', format: 'teams', on: 'failure', url: 'https://example.invalid/teams/secret-path' },
    ]);
  });

  it('warns, without the URL and without failing, when the variable is unset, the file unreadable or the URL not http', () => {
    const r = resolveNotifyTargets([{ format: 'slack', urlEnv: 'UNSET_URL' }, { format: 'json', urlFile: 'missing' }, { format: 'json', urlEnv: 'BAD' }], { BAD: 'ftp://secret-host/x' }, dir);
    expect(r.targets).to.deep.equal([]);
    expect(r.warnings[0]).to.equal('notification slack (urlEnv UNSET_URL) will not be sent: UNSET_URL is not set');
    expect(r.warnings[1]).to.match(/^notification json \(urlFile missing\) will not be sent: .*missing cannot be read \(ENOENT\)$/);
    expect(r.warnings[2]).to.equal('notification json (urlEnv BAD) will not be sent: its URL is not an http(s) URL');
    expect(r.warnings.join()).not.to.contain('secret-host');
  });

  it('refuses a webhook with both urlEnv and urlFile, or neither', () => {
    expect(() => resolveNotifyTargets([{ format: 'json', urlEnv: 'A', urlFile: 'b' }], {}, dir)).to.throw(UsageError, 'notify[0] (json): set one of urlEnv or urlFile');
    expect(() => resolveNotifyTargets([{ format: 'json' }], {}, dir)).to.throw(UsageError, 'notify[0] (json): set one of urlEnv or urlFile');
  });

  it('parses --notify format:variable[:on], and refuses a URL in its place', () => {
    expect(parseNotifyFlag('slack:CRT_SLACK_WEBHOOK')).to.deep.equal({ format: 'slack', urlEnv: 'CRT_SLACK_WEBHOOK' });
    expect(parseNotifyFlag('json:HOOK:change')).to.deep.equal({ format: 'json', urlEnv: 'HOOK', on: 'change' });
    expect(() => parseNotifyFlag('json:https://hooks.example/x')).to.throw(UsageError, 'name the environment variable that holds the webhook URL');
    expect(() => parseNotifyFlag('email:X')).to.throw(UsageError, 'the format must be one of slack, teams, json');
    expect(() => parseNotifyFlag('teams:X:sometimes')).to.throw(UsageError, 'when to send must be one of failure, always, change');
  });
});
