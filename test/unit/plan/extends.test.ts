import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError } from '../../../src/core/errors.js';
import { loadPlan } from '../../../src/plan/index.js';
import { displayPath } from '../../../src/plan/yaml-source.js';
import { regressionThresholds } from '../../../src/results/regression.js';
import { tempDir } from '../../helpers/tmp.js';

const BASE = `apiVersion: crt/v1
metadata: {name: acceptance, title: Full acceptance, system: shop, versions: {shop: "1.0"}}
targets:
  gw: {url: http://127.0.0.1:8080}
regression: {p95: +10%}
layers:
  physical:
    - {id: PHY-01, title: switch, objective: o, trigger: [{at: 0s, fault: manual, instruction: pull the cable}], tags: [manual]}
  logical:
    - {id: LOG-01, title: a, objective: o, load: {target: gw, rate: 5, duration: 2s}, tags: [nightly]}
    - {id: LOG-02, title: b, objective: o, load: {target: gw, rate: 5, duration: 2s}, tags: [nightly, slow]}
  auxiliary:
    - {id: AUX-01, title: c, objective: o, conditions: [{probe: command, command: "true"}], tags: [nightly]}
`;

function problemsOf(fn: () => unknown): Array<{ file: string; line: number; message: string; hint?: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return [...err.problems].filter((p) => p.severity === 'error');
    throw err;
  }
  throw new Error('the plan loaded');
}

describe('plan extends + select', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const write = async (name: string, text: string) => {
    const file = path.join(tmp.dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  };
  beforeEach(async () => {
    tmp = await tempDir();
    await write('acceptance.yaml', BASE);
  });
  afterEach(() => tmp.remove());

  it('runs the selected cases of the extended plan under its own metadata, keeping the rest of that plan', async () => {
    const file = await write('nightly.yaml', `apiVersion: crt/v1
metadata: {name: nightly, title: Nightly subset, versions: {build: "42"}}
extends: acceptance.yaml
select: {tags: [nightly], excludeTags: [slow]}
`);
    const { plan } = loadPlan(file, {});
    expect(plan.cases.map((c) => c.id)).to.deep.equal(['LOG-01', 'AUX-01']);
    expect(plan).to.include({ name: 'nightly', title: 'Nightly subset', system: 'shop', display: displayPath(file), extends: displayPath(path.join(tmp.dir, 'acceptance.yaml')) });
    // relative paths of the cases resolve from the extended plan's folder
    expect(plan.file).to.equal(path.join(tmp.dir, 'acceptance.yaml'));
    expect(plan.versions).to.deep.equal({ shop: '1.0', build: '42' });
    expect(Object.keys(plan.targets)).to.deep.equal(['gw']);
    const resolved = plan.resolved as { layers: Record<string, Array<{ id: string }>> };
    expect(Object.values(resolved.layers).flat().map((c) => c.id)).to.deep.equal(['LOG-01', 'AUX-01']);
    // the extended plan's regression thresholds hold unless this file sets its own
    expect(regressionThresholds(plan.resolved)('LOG-01').p95).to.deep.equal({ kind: 'relative', value: 0.1, text: '+10%' });
  });

  it('takes its own regression thresholds and sinks over the extended plan\'s', async () => {
    const file = await write('n.yaml', 'apiVersion: crt/v1\nmetadata: {name: n}\nextends: acceptance.yaml\nregression: {p95: +50%}\n');
    const { plan } = loadPlan(file, {});
    expect(plan.cases).to.have.length(4);
    expect(regressionThresholds(plan.resolved)('LOG-01').p95).to.deep.equal({ kind: 'relative', value: 0.5, text: '+50%' });
  });

  it('extends a plan in another folder, and a plan that itself extends one', async () => {
    const nested = await write('ci/nightly.yaml', 'apiVersion: crt/v1\nmetadata: {name: nightly}\nextends: ../acceptance.yaml\nselect: {layers: [logical]}\n');
    const outer = await write('ci/quick.yaml', 'apiVersion: crt/v1\nmetadata: {name: quick}\nextends: nightly.yaml\nselect: {only: [LOG-02]}\n');
    expect(loadPlan(nested, {}).plan.cases.map((c) => c.id)).to.deep.equal(['LOG-01', 'LOG-02']);
    const { plan } = loadPlan(outer, {});
    expect(plan.cases.map((c) => c.id)).to.deep.equal(['LOG-02']);
    expect(plan.file).to.equal(path.join(tmp.dir, 'acceptance.yaml'));
  });

  it('locates what it cannot take: cases or a cluster of its own, unknown tags and ids, an empty selection', async () => {
    const file = await write('bad.yaml', `apiVersion: crt/v1
metadata: {name: bad}
extends: acceptance.yaml
targets: {x: {url: http://127.0.0.1:1}}
select: {tags: [nigthly], only: [LOG-1]}
`);
    const problems = problemsOf(() => loadPlan(file, {}));
    expect(problems.map((p) => [p.line, p.message, p.hint])).to.deep.equal([
      [4, 'targets comes from the extended plan (acceptance.yaml): a plan with extends cannot set it', 'change it in the extended plan, or copy that plan instead of extending it'],
    ]);
    const file2 = await write('bad2.yaml', 'apiVersion: crt/v1\nmetadata: {name: bad}\nextends: acceptance.yaml\nselect:\n  tags: [nigthly]\n  only: [LOG-1]\n');
    const p2 = problemsOf(() => loadPlan(file2, {}));
    expect(p2.map((p) => [p.line, p.message, p.hint])).to.deep.equal([
      [5, `no case of ${displayPath(path.join(tmp.dir, 'acceptance.yaml'))} has the tag nigthly`, 'did you mean nightly?'],
      [6, `no case LOG-1 in ${displayPath(path.join(tmp.dir, 'acceptance.yaml'))}`, 'did you mean LOG-01?'],
    ]);
    const file3 = await write('bad3.yaml', 'apiVersion: crt/v1\nmetadata: {name: bad}\nextends: acceptance.yaml\nselect: {tags: [manual], layers: [logical]}\n');
    expect(problemsOf(() => loadPlan(file3, {})).map((p) => [p.line, p.message.replace(/ of .*/, '')])).to.deep.equal([[4, 'selects no case']]);
  });

  it('reports a missing extended plan at extends, and a cycle', async () => {
    const missing = await write('m.yaml', 'apiVersion: crt/v1\nmetadata: {name: m}\nextends: nowhere.yaml\n');
    expect(problemsOf(() => loadPlan(missing, {})).map((p) => [p.line, p.message.replace(/: .*/, ''), p.hint])).to.deep.equal([[3, 'extended plan not found', 'the path is relative to this file']]);
    const a = await write('a.yaml', 'apiVersion: crt/v1\nmetadata: {name: a}\nextends: b.yaml\n');
    await write('b.yaml', 'apiVersion: crt/v1\nmetadata: {name: b}\nextends: a.yaml\n');
    const cycle = problemsOf(() => loadPlan(a, {}));
    expect(cycle).to.have.length(1);
    expect(cycle[0]?.message).to.match(/^extends cycle: .*a\.yaml → .*b\.yaml → .*a\.yaml$/);
  });

  it('refuses select without extends, and reports problems of the extended plan in that file', async () => {
    const own = await write('own.yaml', BASE.replace('regression:', 'select: {tags: [nightly]}\nregression:'));
    expect(problemsOf(() => loadPlan(own, {})).map((p) => p.message)).to.deep.equal(['select only applies with extends']);
    await write('acceptance.yaml', BASE.replace('rate: 5, duration: 2s}, tags: [nightly]}', 'rate: -5, duration: 2s}, tags: [nightly]}'));
    const file = await write('n.yaml', 'apiVersion: crt/v1\nmetadata: {name: n}\nextends: acceptance.yaml\n');
    const problems = problemsOf(() => loadPlan(file, {}));
    expect(problems.map((p) => [path.basename(p.file), p.line])).to.deep.equal([['acceptance.yaml', 10]]);
  });
});
