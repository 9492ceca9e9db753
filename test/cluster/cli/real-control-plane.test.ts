import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { crt } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);

async function fabricNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => /^crt-r[0-9a-f]{8}-/.test(n));
}

describe('the embedded cluster on the real control plane, through the CLI', function () {
  this.timeout(300_000);
  let work: Awaited<ReturnType<typeof tempDir>>;

  before(async function () {
    await requireRealControlPlane(this);
    work = await tempDir();
  });

  after(async () => {
    await work?.remove();
  });

  it('runs the shipped quickstart plan to a passed report (crt run --control-plane kubernetes), says so, and ends leaving nothing behind', async () => {
    const before = await fabricNamespaces();
    const r = await crt(['run', path.join(ROOT, 'test-plans/quickstart.yaml'), '--control-plane', 'kubernetes', '--run-id', 'qs-real', '--out', work.dir], { cwd: ROOT, timeoutMs: 240_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('starting the embedded cluster (3 nodes, real control plane (asked for))');
    expect(r.stderr).to.match(/control plane: ready in \d+\.\d s/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('PASSED (exit 0) — 3/3 cases passed');
    const runJson = JSON.parse(await readFile(path.join(work.dir, 'qs-real', 'run.json'), 'utf8')) as { environment: { cluster: string }; cases: Array<{ id: string; verdict: string }> };
    expect(runJson.environment.cluster).to.equal('embedded cluster (3 nodes, real control plane (asked for))');
    expect(runJson.cases.map((c) => `${c.id} ${c.verdict}`)).to.deep.equal(['PHY-01 passed', 'LOG-01 passed', 'AUX-01 passed']);
    expect(await fabricNamespaces(), 'network namespaces left').to.deep.equal(before);
    expect(leftoverPodProcesses(path.join(work.dir, 'qs-real', 'cluster')), 'processes of the run\'s cluster left').to.deep.equal([]);
  });

  it('crt cluster up --demo --detach picks the real control plane by default (auto, the binaries being here): status names it, the demo answers on its NodePort, a node powers off and on, and down leaves nothing', async () => {
    const dir = path.join(work.dir, '.crt');
    // no --control-plane, and CRT_CONTROL_PLANE unset (the suite sets builtin for every other test): the default, auto
    const up = await crt(['cluster', 'up', '--demo', '--detach', '--dir', dir, '--node-monitor-grace-period', '4s', '--node-monitor-period', '1s', '--heartbeat', '1s'], { cwd: work.dir, timeoutMs: 200_000, env: { CRT_CONTROL_PLANE: '' } });
    expect(up.code, up.stderr + up.stdout).to.equal(0);
    try {
      const status = await crt(['cluster', 'status', '--dir', dir], { cwd: work.dir });
      expect(status.code, status.stderr).to.equal(0);
      expect(status.stdout).to.contain('  control plane real control plane (auto)\n');
      expect(status.stdout).to.contain('  nodes        3/3 Ready\n');
      const res = await fetch('http://127.0.0.1:30080/customers/42', { signal: AbortSignal.timeout(5000) });
      expect(res.status).to.equal(200);
      const url = await crt(['cluster', 'url', 'demo/gateway', '--dir', dir], { cwd: work.dir });
      // kube-proxy's own loopback address for the Service (crt.io/loopback-address), its ClusterIP being in the fabric
      expect(url.stdout).to.match(/^http:\/\/127\.20\.\d+\.\d+:80\n$/);
      expect((await fetch(`${url.stdout.trim()}/customers/42`, { signal: AbortSignal.timeout(5000) })).status).to.equal(200);
      const off = await crt(['cluster', 'node', 'node-2', 'off', '--dir', dir], { cwd: work.dir });
      expect(off.code, off.stderr).to.equal(0);
      expect(off.stdout).to.match(/^node node-2: power off \(\d+ pod process(es)? killed\)\n$/);
      await until('node-2 NotReady', async () => (await crt(['cluster', 'status', '--dir', dir], { cwd: work.dir })).stdout.includes('  nodes        2/3 Ready\n'), 60_000, 500);
      const on = await crt(['cluster', 'node', 'node-2', 'on', '--dir', dir], { cwd: work.dir });
      expect(on.stdout).to.equal('node node-2: power on\n');
      await until('node-2 Ready again', async () => (await crt(['cluster', 'status', '--dir', dir], { cwd: work.dir })).stdout.includes('  nodes        3/3 Ready\n'), 60_000, 500);
    } finally {
      const down = await crt(['cluster', 'down', '--dir', dir], { cwd: work.dir, timeoutMs: 60_000 });
      expect(down.code, down.stderr).to.equal(0);
    }
    expect(await fabricNamespaces(), 'network namespaces left').to.deep.equal([]);
    expect(leftoverPodProcesses(path.join(dir, 'cluster')), 'processes left').to.deep.equal([]);
    expect(existsSync(path.join(dir, 'cluster', 'control-plane', 'etcd')), 'etcd data left').to.equal(false);
  });
});
