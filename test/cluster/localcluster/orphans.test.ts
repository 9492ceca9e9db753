import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { orphanedClusters, otherClusters, stopOrphanedClusters } from '../../../src/localcluster/index.js';
import { ownerMark } from '../../../src/localcluster/runtime/owner.js';
import { readStat } from '../../../src/localcluster/runtime/proc.js';
import { alive } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

/** Stand-ins for pod processes: `sleep` carrying the markers a pod of the embedded cluster carries. */
describe('pods of a killed crt (orphans)', () => {
  const children: ChildProcess[] = [];
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    // waited for: a stand-in still exiting when the next suite starts a cluster would be taken for another cluster's pod
    await Promise.all(children.splice(0).map((c) => {
      if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      return exited;
    }));
    await tmp.remove();
  });

  async function pod(stateDir: string, owner?: string): Promise<number> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', CRT_EMBEDDED_CLUSTER: stateDir, ...(owner ? { CRT_EMBEDDED_CLUSTER_OWNER: owner } : {}) };
    const child = spawn('sleep', ['30'], { env, stdio: 'ignore', detached: true });
    children.push(child);
    await until('the stand-in pod is running', () => child.pid !== undefined && readStat(child.pid)?.state !== undefined);
    return child.pid!;
  }

  /** The mark of a process that existed and is gone: its crt was `kill -9`ed. */
  async function deadOwner(): Promise<string> {
    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    await until('the owner is running', () => owner.pid !== undefined && readStat(owner.pid) !== undefined);
    const mark = ownerMark(owner.pid)!;
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    return mark;
  }

  it('stops the pods whose crt is gone, and only those: not a live crt\'s, nor those of an older crt without an owner mark', async () => {
    const killedRun = path.join(tmp.dir, 'reports', 'r1', 'cluster');
    const orphans = [await pod(killedRun, await deadOwner()), await pod(killedRun, await deadOwner())];
    const live = await pod(path.join(tmp.dir, 'live', 'cluster'), ownerMark());
    const unmarked = await pod(path.join(tmp.dir, 'old', 'cluster'));
    const mine = orphanedClusters().filter((o) => o.stateDir.startsWith(tmp.dir));
    expect(mine.map((o) => o.stateDir)).to.deep.equal([killedRun]);
    const stopped = stopOrphanedClusters().filter((o) => o.stateDir.startsWith(tmp.dir));
    expect(stopped.map((o) => [o.stateDir, [...o.pids].sort()])).to.deep.equal([[killedRun, [...orphans].sort()]]);
    await until('the orphans are gone', () => orphans.every((pid) => !alive(pid) || readStat(pid)?.state === 'Z'));
    expect([live, unmarked].map(alive)).to.deep.equal([true, true]);
  });

  it('takes an owner pid reused by another process (same pid, other start time) for a gone owner', async () => {
    const stat = readStat(process.pid)!;
    const stateDir = path.join(tmp.dir, 'reused', 'cluster');
    const pid = await pod(stateDir, `${process.pid}:${stat.startTicks + 1}`);
    const stopped = stopOrphanedClusters().filter((o) => o.stateDir === stateDir);
    expect(stopped).to.deep.equal([{ stateDir, ownerPid: process.pid, pids: [pid] }]);
  });

  it('says what stops another cluster: the right --dir for crt cluster up, waiting for a live run, crt cluster down for orphans', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(tmp.dir, 'up'), { recursive: true });
    await writeFile(path.join(tmp.dir, 'up', 'cluster.json'), '{}');
    await pod(path.join(tmp.dir, 'up', 'cluster'), ownerMark());
    await pod(path.join(tmp.dir, 'reports', 'r2', 'cluster'), ownerMark());
    const gone = await deadOwner();
    await pod(path.join(tmp.dir, 'reports', 'r3', 'cluster'), gone);
    const others = otherClusters(path.join(tmp.dir, 'mine', 'cluster')).filter((o) => o.stateDir.startsWith(tmp.dir));
    const remedies = Object.fromEntries(others.map((o) => [path.relative(tmp.dir, o.stateDir), [o.orphaned, o.remedy]]));
    expect(remedies).to.deep.equal({
      'up/cluster': [false, `crt cluster down --dir ${path.relative(process.cwd(), path.join(tmp.dir, 'up')).startsWith('..') ? path.join(tmp.dir, 'up') : path.relative(process.cwd(), path.join(tmp.dir, 'up'))}`],
      'reports/r2/cluster': [false, `a crt run (pid ${process.pid}) uses it: wait for it to end, or interrupt it (kill -INT ${process.pid})`],
      'reports/r3/cluster': [true, `its crt process (pid ${gone.split(':')[0]}) is gone: crt cluster down stops the pods it left`],
    });
  });
});
