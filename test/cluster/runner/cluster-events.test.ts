import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { demoManifestPath } from '../../../src/localcluster/index.js';
import type { ClusterEventRecord, ClusterSampleRecord, RunResult } from '../../../src/results/types.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * A real run on the embedded cluster (run it isolated: unshare -n -p -f): a gateway pod killed under a
 * staged load, then the same load without fault, the two cases one load study. The cluster view must
 * record the cluster's own Events of the kill in cluster.jsonl at the instants the watch saw it happen,
 * and run.json must carry the study with the gateway's Ready replicas per step.
 */
describe('the cluster view records key Kubernetes Events, and a load study its replicas, on the embedded cluster', function () {
  this.timeout(150_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let result: RunResult;
  let samples: ClusterSampleRecord[];
  let events: ClusterEventRecord[];

  before(async () => {
    tmp = await tempDir();
    const stages = '[{name: low, rate: 10, duration: 3s}, {name: high, rate: 20, duration: 3s}]';
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
metadata: {name: cluster-events}
cluster:
  local: {nodes: 2, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-01
      title: a gateway pod killed under load
      objective: the cluster's events of the kill are recorded
      load: {target: gw, path: /customers/3, stages: ${stages}}
      trigger:
        - {at: 1s, fault: pod-kill, name: kill-gateway, namespace: demo, selector: app=gateway, count: 1, seed: 3}
      study: {name: kill-study, variant: pod killed}
    - id: LOG-02
      title: the same load, nothing killed
      objective: the reference
      conditions: [{probe: deployment-available, namespace: demo, deployment: gateway}]
      load: {target: gw, path: /customers/3, stages: ${stages}}
      study: {name: kill-study, variant: calm}
`);
    result = (await runPlanFile(file, tmp.dir)).result;
    const lines = (await readFile(path.join(tmp.dir, 'cluster.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ClusterSampleRecord | ClusterEventRecord);
    samples = lines.filter((l): l is ClusterSampleRecord => l.kind !== 'event');
    events = lines.filter((l): l is ClusterEventRecord => l.kind === 'event');
  });

  after(() => tmp?.remove());

  it('writes the Killing of the pod and the SuccessfulCreate of its replacement to cluster.jsonl, with the event\'s own time', () => {
    const kill = result.cases[0]!.events.find((e) => e.kind === 'inject' && e.name === 'kill-gateway')!;
    const killed = (kill.data?.killed as Array<{ pod: string }>)[0]!.pod;
    const mine = events.filter((e) => e.case === 'LOG-01');
    const killing = mine.find((e) => e.reason === 'Killing' && e.object === `demo/${killed}`);
    const created = mine.find((e) => e.reason === 'SuccessfulCreate' && e.objectKind === 'ReplicaSet' && e.object.startsWith('demo/gateway-'));
    expect(killing, JSON.stringify(mine.map((e) => `${e.reason} ${e.object}`))).to.deep.include({ run: 'test-run', layer: 'logical', type: 'Normal', objectKind: 'Pod', count: 1 });
    expect(created?.message).to.match(/^Created pod: gateway-/);
    // the watch's own view of the kill: the first gateway sample after it with fewer Ready replicas than desired
    const drop = samples.find((s) => s.case === 'LOG-01' && s.subject === 'deployment/demo/gateway' && s.t >= kill.t - 50 && s.ready < s.desired)!;
    expect(drop, 'the gateway lost a Ready replica').to.not.equal(undefined);
    expect(Math.abs(killing!.t - drop.t), 'Killing vs the watch sample').to.be.below(1000);
    expect(Math.abs(created!.t - drop.t), 'SuccessfulCreate vs the watch sample').to.be.below(1000);
    expect(Math.abs(killing!.t - kill.t), 'Killing vs the injection').to.be.below(1000);
  });

  it('keeps only key events, each occurrence once, and none from before the case', () => {
    expect(events.length).to.be.greaterThan(0);
    for (const e of events) expect(e.type === 'Warning' || !['Scheduled', 'Pulled', 'Created', 'Started'].includes(e.reason), e.reason).to.equal(true);
    const occurrences = events.map((e) => `${e.case}|${e.uid}|${e.count}`);
    expect(new Set(occurrences).size).to.equal(occurrences.length);
    // the calm case saw no kill: the kill of the first case stays with it
    expect(events.filter((e) => e.case === 'LOG-02' && e.reason === 'Killing')).to.deep.equal([]);
    const start = Date.parse(result.cases[1]!.startedAt);
    for (const e of events.filter((x) => x.case === 'LOG-02')) expect(e.t, `${e.reason} ${e.object}`).to.be.at.least(start - 1000);
  });

  it('puts the load study in run.json: both variants, the stages as steps, and the gateway\'s most Ready replicas per step', () => {
    const [study] = result.studies ?? [];
    expect(study?.name).to.equal('kill-study');
    expect(study?.variants).to.deep.equal(['pod killed', 'calm']);
    expect(study?.steps).to.deep.equal(['low', 'high']);
    for (const cell of study!.cells) {
      expect(cell.figures?.requests, `${cell.variant} ${cell.step}`).to.be.greaterThan(10);
      expect(cell.maxReady?.['deployment/demo/gateway'], `${cell.variant} ${cell.step}`).to.equal(3);
    }
    const stage = result.cases[1]!.stages[1]!;
    expect(study!.cells.find((c) => c.variant === 'calm' && c.step === 'high')?.figures?.p95).to.equal(stage.stats!.latency!.p95);
  });
});
