import { outcomeOf, type CaseResult, type RunResult } from '../results/index.js';
import { escapeXml as x } from './escape.js';
import { comparisonTitle, regressionLines } from './comparison-table.js';
import { formatOffset } from './format.js';
import type { Reporter, ReportInput } from './reporter.js';
import { VERDICT_LABEL, failedExpectations, layerViews } from './view.js';
import { writeReportFile } from './write-file.js';

export const JUNIT_FILE = 'junit.xml';

/**
 * `junit.xml` for CI: one test suite per layer, one test case per CRT case. Failed and aborted
 * cases are failures (the platform did not tolerate the fault); not-run and inconclusive cases
 * are errors (the run could not tell), so a CI dashboard keeps the two apart.
 */
export function junitReporter(): Reporter {
  return {
    name: 'junit',
    async render(input: ReportInput): Promise<string[]> {
      return [await writeReportFile(input.dir, JUNIT_FILE, renderJunit(input.run))];
    },
  };
}

interface Tally {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function tally(cases: readonly CaseResult[]): Tally {
  const count = (...v: string[]): number => cases.filter((c) => v.includes(c.verdict)).length;
  return { tests: cases.length, failures: count('failed', 'aborted'), errors: count('not-run', 'inconclusive'), skipped: count('skipped') };
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** Attribute values stay on one line: XML parsers fold a raw newline in an attribute to a space anyway. */
const attr = (text: string): string => x(text.replace(/\s*[\r\n]+\s*/g, ' '));

function counts(t: Tally): string {
  return `tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}"`;
}

export function renderJunit(run: RunResult): string {
  const plan = run.plan.name;
  const suites = layerViews(run)
    .filter((l) => l.cases.length > 0)
    .map((l) => {
      const time = l.cases.reduce((sum, c) => sum + c.durationMs, 0);
      const open = `  <testsuite name="${attr(l.layer)}" ${counts(tally(l.cases))} time="${seconds(time)}" timestamp="${attr(l.cases[0]?.startedAt ?? run.startedAt)}">`;
      return [open, ...l.cases.map((c) => testcase(plan, c)), '  </testsuite>'].join('\n');
    });
  const regression = regressionSuite(run);
  const overall = outcomeSuite(run);
  const total = tally(run.cases);
  for (const extra of [regression, overall]) {
    if (!extra) continue;
    total.tests += extra.tally.tests;
    total.failures += extra.tally.failures;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`crt: ${plan}`)}" ${counts(total)} time="${seconds(run.durationMs)}" timestamp="${attr(run.startedAt)}">`,
    ...suites,
    ...(regression ? [regression.xml] : []),
    overall.xml,
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Against a baseline (crt run --baseline), one more suite: a test case per compared case and
 * metric, failed when the metric regressed in any phase, so CI lists each regression by name.
 */
function regressionSuite(run: RunResult): { xml: string; tally: Tally } | null {
  const c = run.comparison;
  if (!c) return null;
  const lines = regressionLines(c);
  const tests = c.cases
    .filter((k) => k.status === 'compared')
    .flatMap((k) => [...new Set(k.metrics.filter((m) => m.status !== 'unchecked').map((m) => m.metric))].map((metric) => ({ id: k.id, metric })));
  const cases = tests.map(({ id, metric }) => {
    const failed = lines.filter((l) => l.caseId === id && l.metric === metric).map((l) => l.text);
    const open = `    <testcase classname="${attr(`${run.plan.name}.regression`)}" name="${attr(`${id} ${metric}`)}" time="0.000">`;
    if (failed.length === 0) return open.replace(/>$/, '/>');
    const failure = `      <failure message="${attr(`${id} regressed: ${failed.join('; ')}`)}" type="regression">${x(failed.join('\n'))}</failure>`;
    return [open, failure, '    </testcase>'].join('\n');
  });
  const t: Tally = { tests: tests.length, failures: cases.filter((s) => s.includes('<failure')).length, errors: 0, skipped: 0 };
  const open = `  <testsuite name="${attr(comparisonTitle(c))}" ${counts(t)} time="0.000" timestamp="${attr(run.startedAt)}">`;
  return { xml: [open, ...cases, '  </testsuite>'].join('\n'), tally: t };
}

/**
 * The run's one outcome (results/outcome.ts) as a test case of its own, failed exactly when crt run
 * exits other than 0: a CI that reads only junit.xml sees what the exit code and the report say.
 * Its properties carry the outcome and what traces the run (operator or CI job, plan hash, commit).
 */
function outcomeSuite(run: RunResult): { xml: string; tally: Tally } {
  const o = outcomeOf(run);
  const t = run.trace;
  const props: Array<[string, string | null | undefined]> = [
    ['crt.runId', run.runId], ['crt.outcome', o.status], ['crt.exitCode', String(o.exitCode)], ['crt.headline', o.headline],
    ['crt.version', run.environment.crtVersion], ['crt.operator', t?.operator], ['crt.ci.job', t?.ci?.job], ['crt.ci.url', t?.ci?.url],
    ['crt.plan.sha256', t?.plan.sha256], ['crt.plan.commit', t?.plan.git?.commit], ['crt.plan.owner', t?.plan.owner],
    ['crt.kubernetes', t?.kubernetesVersion], ['crt.baseline', o.baselineRunId],
  ];
  const properties = props.filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '')
    .map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`);
  const open = `    <testcase classname="${attr(`${run.plan.name}.run`)}" name="outcome" time="${seconds(run.durationMs)}">`;
  const test = o.exitCode === 0
    ? open.replace(/>$/, '/>')
    : [open, `      <failure message="${attr(o.headline)}" type="${attr(o.status)}">${x([o.headline, ...o.reasons].join('\n'))}</failure>`, '    </testcase>'].join('\n');
  const tl: Tally = { tests: 1, failures: o.exitCode === 0 ? 0 : 1, errors: 0, skipped: 0 };
  const suite = [
    `  <testsuite name="run" ${counts(tl)} time="${seconds(run.durationMs)}" timestamp="${attr(run.startedAt)}">`,
    '    <properties>', ...properties, '    </properties>',
    test,
    '  </testsuite>',
  ].join('\n');
  return { xml: suite, tally: tl };
}

function testcase(plan: string, c: CaseResult): string {
  const open = `    <testcase classname="${attr(`${plan}.${c.layer}`)}" name="${attr(`${c.id} ${c.spec.title}`)}" time="${seconds(c.durationMs)}">`;
  const body = [outcome(c), `      <system-out>${x(timeline(c))}</system-out>`].filter(Boolean);
  return [open, ...body, '    </testcase>'].join('\n');
}

function outcome(c: CaseResult): string {
  const reason = c.reason ?? VERDICT_LABEL[c.verdict];
  switch (c.verdict) {
    case 'passed':
      return '';
    case 'skipped':
      return `      <skipped message="${attr(reason)}"/>`;
    case 'not-run':
    case 'inconclusive':
      return `      <error message="${attr(reason)}" type="${c.verdict}">${x(reason)}</error>`;
    case 'failed':
    case 'aborted': {
      // the failed checks name what was not tolerated; an abort's reason says why it stopped
      const failed = failedExpectations(c);
      const head = c.verdict === 'aborted' || failed.length === 0 ? [`${VERDICT_LABEL[c.verdict]}: ${reason}`] : [];
      const message = [...head, ...failed].join('; ');
      const text = [...failed.map((f) => `failed: ${f}`), c.reason ? `reason: ${c.reason}` : ''].filter(Boolean).join('\n');
      return `      <failure message="${attr(message)}" type="${c.verdict}">${x(text || message)}</failure>`;
    }
  }
}

/** The event timeline as plain lines, what a CI log viewer shows under the test. */
function timeline(c: CaseResult): string {
  const lines = [...c.events]
    .sort((a, b) => a.offsetMs - b.offsetMs)
    .map((e) => {
      const ok = e.ok === undefined ? '' : e.ok ? ' ok' : ' FAILED';
      return `${formatOffset(e.offsetMs)} ${e.kind}${e.name ? ` ${e.name}` : ''}${ok}${e.detail ? `: ${e.detail}` : ''}`;
    });
  return [`${c.id} ${VERDICT_LABEL[c.verdict]}${c.reason ? `: ${c.reason}` : ''}`, ...lines].join('\n');
}
