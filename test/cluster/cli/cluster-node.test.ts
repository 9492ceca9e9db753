import path from 'node:path';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { crt } from '../../helpers/cli.js';
import { alive } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

describe('crt cluster node <name> off|on|link-down|link-up', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dir: string;

  beforeEach(async () => {
    tmp = await tempDir();
    dir = path.join(tmp.dir, '.crt');
  });

  afterEach(async () => {
    await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
    await tmp.remove();
  });

  it('powers a node of a detached cluster off (its pod processes die, it goes NotReady) and on again', async () => {
    const up = await crt(['cluster', 'up', '--detach', '--demo', '--nodes', '2', '--dir', dir,
      '--heartbeat', '500ms', '--node-monitor-grace-period', '2s', '--node-monitor-period', '500ms', '--default-toleration-seconds', '600'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(up.code, up.stderr).to.equal(0);
    const stateDir = path.join(dir, 'cluster');
    const before = leftoverPodProcesses(stateDir);

    const off = await crt(['cluster', 'node', 'node-2', 'off', '--dir', dir], { cwd: tmp.dir });
    expect(off.code, off.stderr).to.equal(0);
    const killed = Number(/^node node-2: power off \((\d+) pod process(?:es)? killed\)\n$/.exec(off.stdout)?.[1]);
    expect(killed).to.be.greaterThan(0);
    const after = leftoverPodProcesses(stateDir);
    expect(after.length).to.equal(before.length - killed);
    expect(before.filter((pid) => !after.includes(pid)).filter(alive)).to.deep.equal([]);
    await until('node-2 NotReady in crt cluster status', async () => (await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir })).stdout.includes('nodes        1/2 Ready'), 20_000);

    const on = await crt(['cluster', 'node', 'node-2', 'on', '--dir', dir], { cwd: tmp.dir });
    expect(on.code, on.stderr).to.equal(0);
    expect(on.stdout).to.equal('node node-2: power on\n');
    await until('node-2 Ready and its pods running again', async () => {
      const status = (await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir })).stdout;
      return status.includes('nodes        2/2 Ready') && leftoverPodProcesses(stateDir).length === before.length;
    }, 30_000);
  });

  it('takes the link of a node down (its pod processes live on, it goes NotReady) and up again', async () => {
    const up = await crt(['cluster', 'up', '--detach', '--demo', '--nodes', '2', '--dir', dir,
      '--heartbeat', '500ms', '--node-monitor-grace-period', '2s', '--node-monitor-period', '500ms', '--default-toleration-seconds', '600'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(up.code, up.stderr).to.equal(0);
    const stateDir = path.join(dir, 'cluster');
    const before = leftoverPodProcesses(stateDir);

    const down = await crt(['cluster', 'node', 'node-2', 'link-down', '--dir', dir], { cwd: tmp.dir });
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.match(/^node node-2: link down \(\d+ connections? reset\)\n$/);
    await until('node-2 NotReady in crt cluster status', async () => (await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir })).stdout.includes('nodes        1/2 Ready'), 20_000);
    expect(leftoverPodProcesses(stateDir), 'no pod process died').to.deep.equal(before);

    const back = await crt(['cluster', 'node', 'node-2', 'link-up', '--dir', dir], { cwd: tmp.dir });
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.equal('node node-2: link up\n');
    await until('node-2 Ready', async () => (await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir })).stdout.includes('nodes        2/2 Ready'), 10_000);
  });

  it('refuses an unknown node (exit 2), an unknown state (exit 2) and a folder with no cluster (exit 3)', async () => {
    const none = await crt(['cluster', 'node', 'node-1', 'off', '--dir', dir], { cwd: tmp.dir });
    expect(none.code).to.equal(3);
    expect(none.stderr).to.contain(`no embedded cluster is running from ${dir}`);
    const up = await crt(['cluster', 'up', '--detach', '--nodes', '1', '--dir', dir], { cwd: tmp.dir });
    expect(up.code, up.stderr).to.equal(0);
    const unknown = await crt(['cluster', 'node', 'node-7', 'off', '--dir', dir], { cwd: tmp.dir });
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('the embedded cluster has no node node-7');
    const badState = await crt(['cluster', 'node', 'node-1', 'sleep', '--dir', dir], { cwd: tmp.dir });
    expect(badState.code).to.equal(2);
    expect(badState.stderr).to.contain("value 'sleep' is invalid for argument 'state'. Allowed choices are off, on, link-down, link-up.");
  });
});
