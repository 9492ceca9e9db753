import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError, formatProblem } from '../../../src/core/errors.js';
import { describeCase, loadPlan, type CaseSpec } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const head = `apiVersion: crt/v1
metadata: {name: served-by}
targets:
  api: {url: "http://127.0.0.1:8080"}
layers:
  logical:
`;

/** A case with `load` and `expect` as flow mappings, each on its own line. */
const kase = (id: string, load: string, expect: string) => `    - id: ${id}
      title: ${id}
      objective: answers by backend
      load: ${load}
      trigger:
        - {fault: manual, at: 2s, instruction: wait}
      expect: ${expect}
`;

describe('loadPlan: load.servedBy and the servedBy / backends expectations', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
    await writeFile(path.join(tmp.dir, 'own.k6.js'), 'export default function () {}\n');
  });
  afterEach(async () => tmp.remove());

  async function plan(body: string): Promise<{ file: string; cases: Record<string, CaseSpec> }> {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, head + body);
    const { plan } = loadPlan(file, {});
    return { file, cases: Object.fromEntries(plan.cases.map((c) => [c.id, c])) };
  }

  async function problems(body: string): Promise<string[]> {
    const err = await plan(body).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(PlanError);
    return (err as PlanError).problems.map((p) => formatProblem(p).replace(`${tmp.dir}/`, ''));
  }

  it('keeps the header name in lower case, and null when servedBy is not set', async () => {
    const { cases } = await plan(kase('A', '{target: api, connections: 2, duration: 5s, servedBy: X-Version}', '{}') + kase('B', '{target: api, connections: 2, duration: 5s}', '{}'));
    expect(cases.A?.load?.servedBy).to.equal('x-version');
    expect(cases.B?.load?.servedBy).to.equal(null);
  });

  it('reads servedBy shares as ratios and backends as counts, in any phase', async () => {
    const { cases } = await plan(kase('A', '{target: api, connections: 2, duration: 5s, servedBy: x-version}', '{fault: {servedBy: {"1.1": {min: 10%, max: 30%}}, backends: {min: 2}}, whole: {servedBy: {"(none)": {max: 0%}}}}'));
    const phases = (cases.A as CaseSpec).expect.phases.map(({ location: _l, ...e }) => e);
    expect(phases).to.deep.equal([
      { bound: 'max', value: 0, text: '0%', phase: 'whole', metric: 'servedBy', servedByValue: '(none)' },
      { bound: 'max', value: 0.3, text: '30%', phase: 'fault', metric: 'servedBy', servedByValue: '1.1' },
      { bound: 'min', value: 0.1, text: '10%', phase: 'fault', metric: 'servedBy', servedByValue: '1.1' },
      { bound: 'min', value: 2, text: '2', phase: 'fault', metric: 'backends' },
    ]);
    expect(describeCase(cases.A as CaseSpec).expect).to.deep.equal([
      'whole: share of answers with (none) ≤ 0%',
      'fault: share of answers with 1.1 ≤ 30%',
      'fault: share of answers with 1.1 ≥ 10%',
      'fault: distinct backends ≥ 2',
    ]);
    expect(describeCase(cases.A as CaseSpec).load).to.match(/; answers counted by x-version$/);
  });

  it('refuses servedBy and backends expectations without load.servedBy, located with a hint', async () => {
    const body = kase('A', '{target: api, connections: 2, duration: 5s}', '{fault: {servedBy: {"1.1": {min: 10%}}, backends: {min: 2}}}');
    expect(await problems(body)).to.deep.equal([
      'plan.yaml:13:34 layers.logical[0].expect.fault.servedBy: servedBy counts the answers by a response header: the load sets no servedBy\n  hint: add load.servedBy: <header name>, e.g. servedBy: x-served-by',
      'plan.yaml:13:65 layers.logical[0].expect.fault.backends: backends counts the answers by a response header: the load sets no servedBy\n  hint: add load.servedBy: <header name>, e.g. servedBy: x-served-by',
    ]);
  });

  it('refuses a share that is not a percentage and a bare backends count', async () => {
    const body = kase('A', '{target: api, connections: 2, duration: 5s, servedBy: x-version}', '{whole: {servedBy: {"1.1": {min: 0.2}}, backends: 2}}');
    const found = await problems(body);
    expect(found.some((p) => p.includes('expect.whole.servedBy.1.1.min') || p.includes('expect.whole.servedBy["1.1"].min')), found.join('\n')).to.equal(true);
    expect(found.some((p) => p.includes('expect.whole.backends')), found.join('\n')).to.equal(true);
  });

  it('refuses a header name with spaces', async () => {
    const found = await problems(kase('A', '{target: api, connections: 2, duration: 5s, servedBy: "x version"}', '{}'));
    expect(found.join('\n')).to.match(/load\.servedBy: must be an HTTP header name such as x-served-by/);
  });

  it('refuses servedBy with a k6 script of the user\'s: only the generated script counts it', async () => {
    const found = await problems(kase('A', '{target: api, engine: k6, script: own.k6.js, duration: 5s, servedBy: x-version}', '{}'));
    expect(found).to.deep.equal([
      'plan.yaml:10:82 layers.logical[0].load.servedBy: servedBy is counted by the k6 script crt generates: a script of your own does not report it\n  hint: remove script: to let crt generate the script, or remove servedBy',
    ]);
  });
});
