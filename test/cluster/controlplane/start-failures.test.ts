import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { EnvironmentError, UsageError } from '../../../src/core/index.js';
import { ControlPlane } from '../../../src/localcluster/controlplane/index.js';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { liveProcesses, requireKubernetes } from './real-binaries.js';

async function startError(cp: ControlPlane): Promise<EnvironmentError> {
  try {
    await cp.start();
  } catch (err) {
    if (err instanceof EnvironmentError) return err;
    throw err;
  }
  throw new Error('start() succeeded');
}

describe('ControlPlane: starts that meet trouble', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { tmp = await tempDir('crt-cp-fail-'); });
  afterEach(async () => { await tmp.remove(); });

  it('names `crt cluster install` when the binaries are missing, and starts nothing', async () => {
    const binDir = path.join(tmp.dir, 'empty-bin');
    await mkdir(binDir);
    const stateDir = path.join(tmp.dir, 'state');
    const progress: string[] = [];
    const err = await startError(new ControlPlane({ binDir, stateDir, onProgress: (l) => progress.push(l) }));
    expect(err.message).to.equal(`the real control plane needs etcd, kube-apiserver, kube-controller-manager, kube-scheduler in ${binDir}, which are missing`);
    expect(err.hint).to.include('crt cluster install');
    expect(progress).to.deep.equal([]);
    expect(existsSync(path.join(stateDir, 'pki'))).to.equal(false);
  });

  it('hands out node credentials and the kube-proxy kubeconfig only once started', async () => {
    const cp = new ControlPlane({ binDir: tmp.dir, stateDir: path.join(tmp.dir, 'state') });
    let refused: unknown;
    await cp.nodeCredentials('node-a', ['198.18.0.2']).catch((err: unknown) => { refused = err; });
    expect(refused).to.be.instanceOf(UsageError).with.property('message', 'nodeCredentials() needs a started control plane: call start() first');
    expect(() => cp.proxyKubeconfig()).to.throw(UsageError, 'proxyKubeconfig() needs a started control plane');
    expect(() => new ControlPlane({ binDir: tmp.dir, stateDir: tmp.dir, serviceCIDR: '198.19.0.0' })).to.throw(UsageError, 'serviceCIDR: not an IPv4 CIDR');
  });

  it('names the component that exited, with the end of its log, and stops the ones already running', async function () {
    const bin = await requireKubernetes(this);
    const stateDir = path.join(tmp.dir, 'state');
    const started: number[] = [];
    const cp = new ControlPlane({
      binDir: bin, stateDir,
      // a flag the API server does not know: it exits at once, after etcd is up
      wrap: (file, args) => ({ file, args: file.endsWith('kube-apiserver') ? [...args, '--no-such-flag'] : args }),
      onProgress: (l) => { const m = /started \(pid (\d+)\)/.exec(l); if (m) started.push(Number(m[1])); },
    });
    const err = await startError(cp);
    expect(err.message).to.match(/^kube-apiserver exited \(code 1\) before the control plane was ready; the last lines of its log:\n/);
    expect(err.message).to.include('unknown flag: --no-such-flag');
    expect(err.hint).to.equal(`see ${path.join(stateDir, 'logs', 'kube-apiserver.log')}`);
    expect(started).to.have.length(2);
    expect(await liveProcesses(started)).to.deep.equal([]);
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);
    expect(existsSync(path.join(stateDir, 'etcd'))).to.equal(false);
    await cp.stop();
  });

  it('stops at once when stop() comes during start(), leaving nothing', async function () {
    const bin = await requireKubernetes(this);
    const stateDir = path.join(tmp.dir, 'state');
    let stopped: Promise<void> | undefined;
    const cp: ControlPlane = new ControlPlane({ binDir: bin, stateDir, onProgress: (l) => { if (l.startsWith('control plane: kube-apiserver started')) stopped = cp.stop(); } });
    const err = await startError(cp);
    await stopped;
    expect(err.message).to.equal('the control plane was stopped while it started (at kube-apiserver)');
    expect(cp.pids).to.deep.equal([]);
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);
    expect(existsSync(path.join(stateDir, 'etcd'))).to.equal(false);
    expect(existsSync(path.join(stateDir, 'pki'))).to.equal(false);
  });

  it('starts a component again on another port when its port was taken between the pick and the bind', async function () {
    const bin = await requireKubernetes(this);
    const stateDir = path.join(tmp.dir, 'state');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    let tricked = false;
    const progress: string[] = [];
    const cp = new ControlPlane({
      binDir: bin, stateDir, onProgress: (l) => progress.push(l),
      // the scheduler's first try is sent to a port another process holds
      wrap: (file, args) => {
        if (tricked || !file.endsWith('kube-scheduler')) return { file, args };
        tricked = true;
        return { file, args: args.map((a) => (a.startsWith('--secure-port=') ? `--secure-port=${takenPort}` : a)) };
      },
    });
    try {
      await cp.start();
      expect(progress.filter((l) => l.startsWith('control plane: kube-scheduler started'))).to.have.length(2);
      expect(progress).to.include('control plane: kube-scheduler ready');
      expect(cp.pids).to.have.length(4);
      expect(await readFile(path.join(stateDir, 'logs', 'kube-scheduler.log'), 'utf8')).to.include(`127.0.0.1:${takenPort}: bind: address already in use`);
    } finally {
      await cp.stop();
      await new Promise((resolve) => taken.close(resolve));
    }
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);
  });

  it('gives up when a component is not ready in time, naming it and what its health check said', async function () {
    const bin = await requireKubernetes(this);
    const stateDir = path.join(tmp.dir, 'state');
    const cp = new ControlPlane({ binDir: bin, stateDir, startTimeoutMs: 1 });
    const err = await startError(cp);
    expect(err.message).to.match(/^etcd was not ready in time \(https:\/\/127\.0\.0\.1:\d+\/health: /);
    expect(err.hint).to.include('startTimeoutMs');
    expect(cp.pids).to.deep.equal([]);
    expect(leftoverPodProcesses(stateDir)).to.deep.equal([]);
  });
});
