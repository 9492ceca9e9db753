import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { demoManifestPath, leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { decodeHistogram } from '../../../src/results/histogram.js';
import type { TimeseriesRecord } from '../../../src/results/types.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

for (const cp of controlPlanes()) {
  describe(`distributed load: an Indexed Job of crt workers on the embedded cluster (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 180_000));
    before(async function () {
      await requireControlPlane(this, cp);
    });
    let tmp: Awaited<ReturnType<typeof tempDir>>;

    beforeEach(async () => (tmp = await tempDir()));
    afterEach(async () => tmp.remove());

    it('runs 3 workers against the demo gateway Service and merges their samples exactly into one result', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: distributed}
cluster:
  local: {controlPlane: ${cp}, nodes: 2, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: DIST-01
      title: three workers in the cluster
      objective: every read of every worker is answered and counted once
      load: {target: gw, path: /customers/3, rate: 20, duration: 3s, distributed: {generators: 3, on: cluster}}
      expect:
        whole: {errorRate: 0%}
`);
      const { result } = await runPlanFile(file, tmp.dir);
      const c = result.cases[0]!;
      expect(c.verdict, JSON.stringify({ reason: c.reason, events: c.events.filter((e) => e.kind === 'error') })).to.equal('passed');
      const records = (await readFile(path.join(tmp.dir, 'timeseries.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TimeseriesRecord);
      const perWorker = [0, 1, 2].map((g) => records.filter((r) => r.generator === g).reduce((n, r) => n + r.requests, 0));
      // the open model sends exactly rate × duration per worker, and each is counted once
      expect(perWorker).to.deep.equal([60, 60, 60]);
      const whole = c.phases.find((p) => p.name === 'whole')!.stats!;
      expect(whole.requests).to.equal(perWorker.reduce((a, b) => a + b));
      expect(whole.ok).to.equal(180);
      // the merged latency histogram holds every worker's requests: counts add up exactly
      const counted = records.reduce((n, r) => n + decodeHistogram(r.latency).totalCount, 0);
      expect(whole.latency!.count).to.equal(counted).and.to.equal(180);
      expect(c.load?.generators).to.equal(3);
      expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
    });
  });
}

for (const cp of controlPlanes()) {
  describe(`distributed load via k6-operator on a cluster without k6-operator (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 120_000));
    before(async function () {
      await requireControlPlane(this, cp);
    });
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    beforeEach(async () => (tmp = await tempDir()));
    afterEach(async () => tmp.remove());

    it('fails the case saying the TestRun could not be created, and checks no local k6', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: operator-missing}
cluster:
  local: {controlPlane: ${cp}, nodes: 1}
targets:
  api: {url: "http://127.0.0.1:9"}
layers:
  logical:
    - id: K6-OP
      title: k6-operator TestRun
      objective: the TestRun is refused when the CRD is not installed
      load: {target: api, engine: k6, connections: 2, duration: 2s, distributed: {generators: 2, on: cluster, via: k6-operator}}
`);
      const { result } = await runPlanFile(file, tmp.dir);
      const c = result.cases[0]!;
      expect(c.verdict).to.not.equal('passed');
      expect(c.reason ?? '').to.match(/cannot create the k6-operator TestRun default\/crt-k6-k6-op-[a-z0-9]+/);
      expect(result.environment.engines).to.deep.equal({ 'k6 (k6-operator)': 'runner image default of the operator' });
    });
  });
}
