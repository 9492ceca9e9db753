import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError, formatProblem, type Problem } from '../../../src/core/errors.js';
import { loadPlan } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const head = `apiVersion: crt/v1
metadata: {name: studies}
targets:
  gw: {url: http://127.0.0.1:8080}
layers:
  logical:
`;

/** The reference load study: c=5/10/40 as stages, and 5 generators × 40 as its own case, HPA off then on. */
const STUDY = `${head}    - id: LOG-10
      title: concurrency sweep, HPA off
      objective: figures without autoscaling
      load: {target: gw, duration: 10s, stages: [{name: c=5, connections: 5}, {name: c=10, connections: 10}, {name: c=40, connections: 40}]}
      study: {name: load-study, variant: HPA off}
    - id: LOG-11
      title: 5 generators × 40, HPA off
      objective: figures without autoscaling
      load: {target: gw, duration: 10s, connections: 40, generators: 5}
      study: {name: load-study, variant: HPA off, step: 5x40}
    - id: LOG-12
      title: concurrency sweep, HPA on
      objective: figures with autoscaling
      load: {target: gw, duration: 10s, stages: [{name: c=5, connections: 5}, {name: c=10, connections: 10}, {name: c=40, connections: 40}]}
      study: {name: load-study, variant: HPA on}
    - id: LOG-13
      title: one more case, no step given
      objective: the case id is the row
      load: {target: gw, duration: 10s, connections: 5}
      study: {name: load-study, variant: HPA on}
`;

describe('plan: load studies (study: {name, variant, step})', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  const write = async (text: string) => {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, text);
    return file;
  };
  const problems = async (text: string): Promise<string[]> => {
    const file = await write(text);
    try {
      loadPlan(file, {});
    } catch (err) {
      expect(err, String(err)).to.be.instanceOf(PlanError);
      return (err as PlanError).problems.filter((p: Problem) => p.severity === 'error').map((p) => formatProblem(p).split('\n')[0]!.replaceAll(`${tmp.dir}/`, ''));
    }
    throw new Error('the plan loaded');
  };

  it('gives a staged load one step per stage, by name, and a case without stages one step: its step:, else its id', async () => {
    const { plan } = loadPlan(await write(STUDY), {});
    const steps = Object.fromEntries(plan.cases.map((c) => [c.id, c.study && { ...c.study, location: undefined }]));
    expect(steps['LOG-10']).to.deep.equal({ name: 'load-study', variant: 'HPA off', steps: [{ name: 'c=5', stage: 0 }, { name: 'c=10', stage: 1 }, { name: 'c=40', stage: 2 }], location: undefined });
    expect(steps['LOG-11']?.steps).to.deep.equal([{ name: '5x40', stage: null }]);
    expect(steps['LOG-13']?.steps).to.deep.equal([{ name: 'LOG-13', stage: null }]);
    expect(plan.cases.find((c) => c.id === 'LOG-12')?.study?.location).to.include({ line: 21, path: 'layers.logical[2].study' });
  });

  it('refuses a step given twice in one variant, located at the second case, naming the first', async () => {
    const text = STUDY.replace('study: {name: load-study, variant: HPA on}\n', 'study: {name: load-study, variant: HPA on}\n').replace(
      'load: {target: gw, duration: 10s, connections: 5}\n      study: {name: load-study, variant: HPA on}',
      'load: {target: gw, duration: 10s, connections: 5}\n      study: {name: load-study, variant: HPA on, step: c=40}',
    );
    expect(await problems(text)).to.deep.equal([
      'plan.yaml:26:14 layers.logical[3].study: load study load-study, variant HPA on: step "c=40" is given twice (first by LOG-12 at plan.yaml:21)',
    ]);
  });

  it('refuses two stages of one case with the same name in a study', async () => {
    const text = STUDY.replace('stages: [{name: c=5, connections: 5}, {name: c=10, connections: 10}, {name: c=40, connections: 40}]}\n      study: {name: load-study, variant: HPA off}', 'stages: [{name: c=5, connections: 5}, {name: c=5, connections: 10}]}\n      study: {name: load-study, variant: HPA off}');
    expect(await problems(text)).to.deep.equal([
      'plan.yaml:11:14 layers.logical[0].study: load study load-study, variant HPA off: two stages are named "c=5", and each stage is a row',
    ]);
  });

  it('lets the same step appear once in each variant and in other studies', async () => {
    const text = STUDY.replace('{name: load-study, variant: HPA on}\n    - id: LOG-13', '{name: other-study, variant: HPA off}\n    - id: LOG-13');
    expect(loadPlan(await write(text), {}).plan.cases.filter((c) => c.study?.name === 'other-study')).to.have.length(1);
  });

  it('refuses step: on a staged load, and a study on a case without load', async () => {
    const text = `${head}    - id: LOG-20
      title: staged
      objective: o
      load: {target: gw, duration: 10s, stages: [{name: a, connections: 5}]}
      study: {name: s, variant: v, step: x}
    - id: LOG-21
      title: no load
      objective: o
      conditions: [{probe: http, target: gw, path: /}]
      study: {name: s, variant: v}
`;
    expect(await problems(text)).to.deep.equal([
      'plan.yaml:11:42 layers.logical[0].study.step: step names the row of a case without stages: this load has stages, and each stage is a row (by its name)',
      'plan.yaml:16:14 layers.logical[1].study: case LOG-21 is in load study s but has no load',
    ]);
  });

  it('refuses a study without a variant, through the schema', async () => {
    const text = STUDY.replace('study: {name: load-study, variant: HPA off, step: 5x40}', 'study: {name: load-study, step: 5x40}');
    const found = await problems(text);
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^plan\.yaml:16:\d+ layers\.logical\[1\]\.study: .*variant/);
  });
});
