import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { crt } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { alive } from '../../helpers/processes.js';


describe('crt cluster up / status / url / down', function () {
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

  it('starts a detached cluster with the demo, serves it, and leaves no process behind after down', async () => {
    const up = await crt(['cluster', 'up', '--detach', '--demo', '--dir', dir], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.match(/embedded cluster up: 3 nodes, API http:\/\/127\.0\.0\.1:\d+/);
    expect(up.stdout).to.contain('kubectl --kubeconfig');
    expect(existsSync(path.join(dir, 'kubeconfig'))).to.equal(true);
    const pid = Number(/pid\s+(\d+)/.exec(up.stdout)![1]);

    const status = await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir });
    expect(status.code).to.equal(0);
    expect(status.stdout).to.contain('nodes        3/3 Ready');
    expect(status.stdout).to.contain('demo/gateway 3/3 available');

    const url = await crt(['cluster', 'url', 'demo/gateway', '--dir', dir], { cwd: tmp.dir });
    expect(url.code).to.equal(0);
    const res = await fetch(`${url.stdout.trim()}/customers/3`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-served-by')).to.match(/^gateway-/);

    const stateDir = path.join(dir, 'cluster');
    expect(leftoverPodProcesses(stateDir).length).to.equal(7);
    const down = await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
    expect(down.code).to.equal(0);
    expect(down.stderr).to.contain(`embedded cluster stopped (pid ${pid})`);
    expect(alive(pid)).to.equal(false);
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);

    const after = await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir });
    expect(after.code).to.equal(3);
    expect(after.stdout).to.contain('not running');
  });

  it('kills the pod processes of a cluster that was killed itself', async () => {
    const up = await crt(['cluster', 'up', '--detach', '--demo', '--nodes', '1', '--dir', dir], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(up.code, up.stderr).to.equal(0);
    const pid = Number(/pid\s+(\d+)/.exec(up.stdout)![1]);
    process.kill(pid, 'SIGKILL');
    const stateDir = path.join(dir, 'cluster');
    expect(leftoverPodProcesses(stateDir).length).to.be.greaterThan(0);
    const down = await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
    expect(down.code).to.equal(0);
    expect(down.stderr).to.match(/killed \d+ pod process\(es\) left behind/);
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);
  });

  it('refuses a second cluster in the same folder, exit 3', async () => {
    const up = await crt(['cluster', 'up', '--detach', '--nodes', '1', '--dir', dir], { cwd: tmp.dir });
    expect(up.code, up.stderr).to.equal(0);
    const again = await crt(['cluster', 'up', '--detach', '--nodes', '1', '--dir', dir], { cwd: tmp.dir });
    expect(again.code).to.equal(3);
    expect(again.stderr).to.match(/already running from .* \(pid \d+, API http/);
  });
});
