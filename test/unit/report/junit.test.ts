import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CaseResult } from '../../../src/results/types.js';
import { junitReporter, renderJunit } from '../../../src/report/junit.js';
import { CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir, xmlProblems } from './helpers.js';

describe('report/junit', () => {
  const tempDir = useTempDir();
  const xml = renderJunit(fixtureRun());

  it('writes junit.xml into the run folder and returns its name', async () => {
    const files = await junitReporter().render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir: tempDir() });
    expect(files).to.deep.equal(['junit.xml']);
    expect(await readFile(join(tempDir(), 'junit.xml'), 'utf8')).to.equal(xml);
  });

  it('is well-formed XML with an XML declaration', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).to.equal(true);
    expect(xmlProblems(xml)).to.deep.equal([]);
  });

  it('counts tests, failures, errors and skipped for the run', () => {
    // the three cases and the run's outcome
    expect(xml).to.include('<testsuites name="crt: demo-crt" tests="4" failures="2" errors="1" skipped="0" time="121.000"');
  });

  it('has one test suite per layer with cases, with its own counts', () => {
    expect(xml).to.match(/<testsuite name="logical" tests="2" failures="1" errors="0" skipped="0"/);
    expect(xml).to.match(/<testsuite name="physical" tests="1" failures="0" errors="1" skipped="0"/);
    expect(xml).not.to.include('name="auxiliary"');
  });

  it('names each test case by plan, layer, id and escaped title', () => {
    expect(xml).to.include('<testcase classname="demo-crt.logical" name="L-01 Steady load &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" time="31.000">');
  });

  it('reports a failed case as a failure naming the failed expectation', () => {
    expect(xml).to.match(/<failure message="whole p95 ≤ 200ms: measured 312 ms" type="failed">failed: whole p95 ≤ 200ms: measured 312 ms\nreason: 1 of 3 expectations failed/);
  });

  it('reports a case not run as an error with its reason', () => {
    expect(xml).to.include('<error message="condition gateway-health failed: HTTP 503" type="not-run">');
  });

  it('reports a skipped case as skipped', () => {
    const run = fixtureRun();
    const skipped = { ...(run.cases[2] as CaseResult), verdict: 'skipped' as const, reason: 'excluded by --tags' };
    run.cases[2] = skipped;
    const out = renderJunit(run);
    expect(out).to.include('<skipped message="excluded by --tags"/>');
    expect(out).to.include('errors="0" skipped="1"');
  });

  it('reports an aborted case as a failure that gives the abort reason first', () => {
    const run = fixtureRun();
    run.cases[1] = { ...(run.cases[1] as CaseResult), verdict: 'aborted', reason: 'errorRate > 90% for 10s' };
    expect(renderJunit(run)).to.include('<failure message="aborted: errorRate &gt; 90% for 10s; whole p95 ≤ 200ms: measured 312 ms" type="aborted">');
  });

  it('puts the event timeline in system-out', () => {
    expect(xml).to.include('+10.0 s inject kill-gateway ok: deleted pod gateway-7d9 &lt;pending&gt;');
  });

  it('drops characters that XML 1.0 forbids', () => {
    const run = fixtureRun();
    run.cases[2] = { ...(run.cases[2] as CaseResult), reason: 'probe said \u0001\u0008bye' };
    const out = renderJunit(run);
    expect(out).to.include('probe said bye');
    expect(xmlProblems(out)).to.deep.equal([]);
  });
});
