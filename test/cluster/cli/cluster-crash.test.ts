import path from 'node:path';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { crt } from '../../helpers/cli.js';
import { readStat, running } from '../../../src/localcluster/runtime/proc.js';
import { writePlan } from '../../helpers/run.js';
import { fixedDelay, startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

/** Alive and not a zombie: killed pods are reparented, and the new parent may be slow to reap them. */
const alive = (pid: number): boolean => running(readStat(pid));

const SLEEPER = `apiVersion: apps/v1
kind: Deployment
metadata: {name: sleeper, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: sleeper}}
  template:
    metadata: {labels: {app: sleeper}}
    spec: {containers: [{name: s, image: "node:20", command: ["sleep", "300"]}]}
`;

describe('a cluster.local run killed with SIGKILL', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let orphans: number[] = [];
  beforeEach(async () => {
    tmp = await tempDir();
    server = await startServer(fixedDelay(1));
  });
  afterEach(async () => {
    for (const pid of orphans.filter(alive)) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
    orphans = [];
    await server.close();
    await tmp.remove();
  });

  const plan = (duration: string) => `apiVersion: crt/v1
metadata: {name: crash}
cluster:
  local: {nodes: 1, manifests: [sleeper.yaml]}
targets:
  srv: {url: "${server.url}"}
layers:
  logical:
    - {id: LOG-01, title: t, objective: o, load: {target: srv, rate: 5, duration: ${duration}}}
`;

  /** Starts the run, SIGKILLs it once its cluster is ready, and returns the pod processes it left running. */
  async function killedRun(): Promise<number[]> {
    await writePlan(tmp.dir, SLEEPER, 'sleeper.yaml');
    const file = await writePlan(tmp.dir, plan('60s'));
    const r = await crt(['run', file, '--run-id', 'r1'], { cwd: tmp.dir, signalOn: { stderr: /embedded cluster ready/, signal: 'SIGKILL' }, timeoutMs: 90_000 });
    expect(r.signal, r.stderr).to.equal('SIGKILL');
    const pods = leftoverPodProcesses(path.join(tmp.dir, 'reports', 'r1', 'cluster'));
    orphans = pods;
    expect(pods.length, 'pod processes left running').to.be.greaterThan(0);
    expect(pods.filter(alive)).to.deep.equal(pods);
    return pods;
  }

  const stoppedLine = (pods: number[]) => new RegExp(`stopped ${pods.length} pod processes of the embedded cluster of reports/r1, left by a killed crt \\(pid \\d+\\): pids ([\\d, ]+)\\n`);

  it('crt cluster down stops the pods it left, naming them', async () => {
    const pods = await killedRun();
    const down = await crt(['cluster', 'down', '--dir', path.join(tmp.dir, '.crt')], { cwd: tmp.dir });
    expect(down.code, down.stderr).to.equal(0);
    const named = stoppedLine(pods).exec(down.stderr)?.[1]?.split(', ').map(Number).sort();
    expect(named, down.stderr).to.deep.equal([...pods].sort());
    await until('the orphaned pods are gone', () => pods.every((pid) => !alive(pid)));
    expect(leftoverPodProcesses(path.join(tmp.dir, 'reports', 'r1', 'cluster'))).to.deep.equal([]);
  });

  it('the next crt run stops them, says so, and runs on its own cluster', async () => {
    const pods = await killedRun();
    const file = await writePlan(tmp.dir, plan('1s'));
    const next = await crt(['run', file, '--run-id', 'r2'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(next.code, next.stderr).to.equal(0);
    expect(stoppedLine(pods).exec(next.stderr)?.[1]?.split(', ').map(Number).sort(), next.stderr).to.deep.equal([...pods].sort());
    expect(pods.filter(alive)).to.deep.equal([]);
    expect(leftoverPodProcesses(path.join(tmp.dir, 'reports', 'r2', 'cluster'))).to.deep.equal([]);
  });
});
