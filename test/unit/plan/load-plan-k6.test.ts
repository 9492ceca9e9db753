import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError } from '../../../src/core/errors.js';
import { loadPlan, type LoadSpec } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const head = `apiVersion: crt/v1
metadata: {name: k6}
cluster: {local: {nodes: 1}}
targets:
  api: {url: "http://127.0.0.1:8080"}
layers:
  logical:
`;

const kase = (id: string, load: string) => `    - id: ${id}
      title: ${id}
      objective: k6 and distributed fields
      load: ${load}
`;

describe('loadPlan: k6 and distributed loads', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
    await mkdir(path.join(tmp.dir, 'scenarios'));
    await writeFile(path.join(tmp.dir, 'own.k6.js'), 'export default function () {}\n');
    await writeFile(path.join(tmp.dir, 'scenarios', 'browse.k6.js'), 'export default function () {}\n');
    await writeFile(path.join(tmp.dir, 'scenarios', 'browse.yaml'), 'engine: k6\nscript: browse.k6.js\nduration: 30s\n');
  });
  afterEach(async () => tmp.remove());

  async function loads(body: string): Promise<Record<string, LoadSpec>> {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, head + body);
    const { plan } = loadPlan(file, {});
    return Object.fromEntries(plan.cases.map((c) => [c.id, c.load as LoadSpec]));
  }

  it('resolves script: from the file that sets it, the plan or the scenario', async () => {
    const l = await loads(kase('A', '{target: api, engine: k6, script: own.k6.js, duration: 10s}') + kase('B', '{scenario: scenarios/browse.yaml, target: api}'));
    expect(l.A?.script).to.equal(path.join(tmp.dir, 'own.k6.js'));
    expect(l.B?.script).to.equal(path.join(tmp.dir, 'scenarios', 'browse.k6.js'));
    // a script sets its own executors: crt only knows how long it may run
    expect(l.B?.stages).to.deep.equal([{ index: 0, name: 'script', connections: 1, rateRps: null, durationMs: 30_000, requests: null }]);
  });

  it('keeps k6Binary (a path relative to the plan, a bare name for PATH) and k6 settings, with defaults', async () => {
    const l = await loads(kase('A', '{target: api, engine: k6, k6Binary: ./k6-disruptor, k6: {extraArgs: [--quiet], env: {X: "1"}}, connections: 2, duration: 5s}') + kase('B', '{target: api, engine: k6, connections: 2, duration: 5s}'));
    expect(l.A).to.deep.include({ k6Binary: path.join(tmp.dir, 'k6-disruptor'), k6: { extraArgs: ['--quiet'], env: { X: '1' } }, script: null });
    expect(l.B).to.deep.include({ k6Binary: 'k6', k6: { extraArgs: [], env: {} } });
  });

  it('makes each worker of a distributed load a generator, via job by default', async () => {
    const l = await loads(kase('A', '{target: api, rate: 10, duration: 5s, distributed: {generators: 4, on: cluster}}') + kase('B', '{target: api, engine: k6, connections: 2, duration: 5s, distributed: {generators: 2, on: cluster, via: k6-operator, image: grafana/k6:1.0.0, namespace: load, startTimeout: 5m}}'));
    expect(l.A?.generators).to.equal(4);
    expect(l.A?.distributed).to.deep.equal({ generators: 4, on: 'cluster', via: 'job', image: null, namespace: 'default', startTimeoutMs: 120_000 });
    expect(l.B?.distributed).to.deep.equal({ generators: 2, on: 'cluster', via: 'k6-operator', image: 'grafana/k6:1.0.0', namespace: 'load', startTimeoutMs: 300_000 });
  });

  it('refuses via: k6-operator without engine k6, and via: job with it', async () => {
    const err = await loads(kase('A', '{target: api, rate: 10, duration: 5s, distributed: {generators: 2, on: cluster, via: k6-operator}}') + kase('B', '{target: api, engine: k6, rate: 10, duration: 5s, distributed: {generators: 2, on: cluster}}')).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(PlanError);
    expect((err as PlanError).problems.map((p) => `${p.path}: ${p.message}`)).to.deep.equal([
      'layers.logical[0].load.distributed: via: k6-operator runs k6: it needs engine: k6',
      'layers.logical[1].load.distributed: via: job runs crt workers (autocannon): with engine k6 use via: k6-operator',
    ]);
  });
});
