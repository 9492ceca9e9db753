import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readRunFolder, writeRunJson } from '../../../src/results/run-folder.js';
import { CLUSTER, TIMESERIES, fixtureRun } from '../report/fixture.js';

describe('results/readRunFolder', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'crt-folder-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  const lines = (records: readonly object[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

  it('reads run.json, timeseries.jsonl and cluster.jsonl back as written', async () => {
    await writeRunJson(dir, fixtureRun());
    await writeFile(path.join(dir, 'timeseries.jsonl'), lines(TIMESERIES));
    await writeFile(path.join(dir, 'cluster.jsonl'), lines(CLUSTER));
    const folder = await readRunFolder(dir);
    expect(folder.run.runId).to.equal(fixtureRun().runId);
    expect(folder.timeseries).to.deep.equal(TIMESERIES);
    expect(folder.cluster).to.deep.equal(CLUSTER);
  });

  it('reads the key Kubernetes Events of cluster.jsonl apart from the samples, in file order', async () => {
    await writeRunJson(dir, fixtureRun());
    const event = { t: CLUSTER[3]!.t + 10, run: 'r', case: 'L-02', layer: 'logical', phase: 'fault', kind: 'event', type: 'Normal', reason: 'Killing', objectKind: 'Pod', object: 'demo/gw', message: 'Stopping container gateway', count: 1, uid: 'u', source: 'kubelet' };
    await writeFile(path.join(dir, 'cluster.jsonl'), lines([...CLUSTER.slice(0, 4), event, ...CLUSTER.slice(4)]));
    const folder = await readRunFolder(dir);
    expect(folder.cluster).to.deep.equal(CLUSTER);
    expect(folder.clusterEvents).to.deep.equal([event]);
  });

  it('reads a run without a cluster (no cluster.jsonl) as no cluster samples', async () => {
    await writeRunJson(dir, fixtureRun());
    expect((await readRunFolder(dir)).cluster).to.deep.equal([]);
  });

  it('skips the torn last line of a run killed mid-write, and names the file and line of a bad line before it', async () => {
    await writeRunJson(dir, fixtureRun());
    await writeFile(path.join(dir, 'cluster.jsonl'), `${lines(CLUSTER.slice(0, 2))}{"t": 12`);
    expect((await readRunFolder(dir)).cluster).to.deep.equal(CLUSTER.slice(0, 2));
    await writeFile(path.join(dir, 'cluster.jsonl'), `not json\n${lines(CLUSTER.slice(0, 2))}`);
    const err = await readRunFolder(dir).then(() => null, (e: Error) => e);
    expect(err?.message).to.equal(`${path.join(dir, 'cluster.jsonl')}:1: not a JSON line`);
  });
});
