import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { expect } from 'chai';
import { LocalCluster } from '../../../src/localcluster/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('one embedded cluster per machine', () => {
  let child: ChildProcess | undefined;
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    child?.kill('SIGKILL');
    await tmp.remove();
  });

  it('refuses to start while pods of another embedded cluster run, naming its folder and pids', async () => {
    // a stand-in for a pod of another cluster: any process carrying the cluster marker
    child = spawn('sleep', ['30'], { env: { PATH: process.env.PATH ?? '', CRT_EMBEDDED_CLUSTER: '/elsewhere/.crt/cluster' }, stdio: 'ignore' });
    // 'spawn' comes once the program was exec'd: its environment carries the marker from then on
    await once(child, 'spawn');
    const cluster = new LocalCluster({ nodes: 1, stateDir: path.join(tmp.dir, 'state') });
    const err = await cluster.start().then(() => undefined, (e: Error & { hint?: string; exitCode?: number }) => e);
    await cluster.stop();
    expect(err?.exitCode).to.equal(3);
    expect(err?.message).to.contain(`another embedded cluster is running on this machine (pods of /elsewhere/.crt/cluster: pids ${child.pid}`);
    expect(err?.hint).to.contain('crt cluster down');
  });
});
