import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EnvironmentError, etcdVersion, kubernetesVersion } from '../../../../src/core/index.js';
import { installKubernetes, kubernetesBinaries, type InstallOptions } from '../../../../src/localcluster/index.js';
import { fakeScripts, writeFakeBinaries, writeFakeGo } from '../../../helpers/fake-kubernetes.js';
import { tempDir } from '../../../helpers/tmp.js';

const exec = promisify(execFile);
const arch = process.arch === 'x64' ? 'amd64' : process.arch;
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A mirror of dl.k8s.io/release and etcd's releases on 127.0.0.1 port 0 that counts what it served. */
async function startMirror(files: Map<string, Buffer>, truncate?: string, stall?: { url: string; afterHeaders: boolean }): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end('not found');
    if (stall && req.url === stall.url) {
      // a black-holing proxy: the connection stays open and nothing (more) comes
      if (stall.afterHeaders) res.writeHead(200, { 'content-length': body.length }).write(body.subarray(0, 1));
      return;
    }
    if (req.url === truncate) {
      // a connection lost half-way through the body
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The release files of the pinned version, as the mirror serves them; the etcd tarball made with tar. */
async function releaseFiles(work: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const scripts = fakeScripts(kubernetesVersion, etcdVersion);
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl']) {
    const at = `/release/v${kubernetesVersion}/bin/linux/${arch}/${name}`;
    files.set(at, Buffer.from(scripts[name]!));
    files.set(`${at}.sha256`, Buffer.from(sha256(scripts[name]!)));
  }
  const top = `etcd-v${etcdVersion}-linux-${arch}`;
  await writeFakeBinaries(path.join(work, top), kubernetesVersion, etcdVersion);
  await exec('tar', ['-czf', path.join(work, `${top}.tar.gz`), '-C', work, `${top}/etcd`, `${top}/kubectl`]);
  const tarball = await readFile(path.join(work, `${top}.tar.gz`));
  files.set(`/etcd/v${etcdVersion}/${top}.tar.gz`, tarball);
  files.set(`/etcd/v${etcdVersion}/SHA256SUMS`, Buffer.from(`${sha256('other')}  etcd-v${etcdVersion}-darwin-arm64.zip\n${sha256(tarball)}  ${top}.tar.gz\n`));
  return files;
}

describe('crt cluster install (installKubernetes)', function () {
  this.timeout(30_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cache: string;
  let versionDir: string;
  let bin: string;
  const closers: Array<() => Promise<void>> = [];
  const progress: string[] = [];
  /** no real download, no real go: each test turns on what it tests */
  const options = (more: InstallOptions & { env?: NodeJS.ProcessEnv } = {}): InstallOptions => ({
    download: false, go: null, onProgress: (l) => progress.push(l), ...more, env: { CRT_CACHE: cache, ...more.env },
  });

  beforeEach(async () => {
    tmp = await tempDir();
    cache = path.join(tmp.dir, 'cache');
    versionDir = path.join(cache, 'kubernetes', kubernetesVersion);
    bin = path.join(versionDir, 'bin');
    progress.length = 0;
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await tmp.remove();
  });

  async function installed(): Promise<Record<string, string>> {
    return Object.fromEntries(await Promise.all(kubernetesBinaries.map(async (n) => [n, await readFile(path.join(bin, n), 'utf8')])));
  }

  it('copies matching binaries from KUBEBUILDER_ASSETS into CRT_CACHE, then answers from the cache without copying again', async () => {
    const assets = path.join(tmp.dir, 'envtest');
    const scripts = await writeFakeBinaries(assets, kubernetesVersion, '3.7.4');
    const first = await installKubernetes(options({ env: { KUBEBUILDER_ASSETS: assets } }));
    expect(first).to.deep.equal({ kubernetesVersion, bin, source: 'kubebuilder-assets' });
    expect(await installed()).to.deep.equal(scripts);
    const mtimes = await Promise.all(kubernetesBinaries.map(async (n) => (await stat(path.join(bin, n))).mtimeMs));

    const second = await installKubernetes(options({ env: { KUBEBUILDER_ASSETS: assets } }));
    expect(second.source).to.equal('cache');
    expect(await Promise.all(kubernetesBinaries.map(async (n) => (await stat(path.join(bin, n))).mtimeMs))).to.deep.equal(mtimes);
    expect(await readdir(versionDir)).to.have.members(['bin', 'installed.json']);
  });

  it('passes over KUBEBUILDER_ASSETS of another version and, with no other way, names the three ways (exit 3)', async () => {
    const assets = path.join(tmp.dir, 'envtest');
    await writeFakeBinaries(assets, '1.32.0', '3.5.16');
    const err = await installKubernetes(options({ env: { KUBEBUILDER_ASSETS: assets } })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    const e = err as EnvironmentError;
    expect(e.exitCode).to.equal(3);
    expect(e.message).to.contain(`no way to get Kubernetes v${kubernetesVersion}`);
    expect(e.message).to.contain(`kube-apiserver is 1.32.0, not ${kubernetesVersion}`);
    expect(e.message).to.contain('etcd is 3.5.16, not 3.7.x');
    expect(e.message).to.contain('downloading was turned off');
    expect(e.hint).to.match(/three ways: \(1\) --from DIR or KUBEBUILDER_ASSETS=DIR .*\(2\) a reachable download .*\(3\) Go on PATH/);
    expect(progress.join('\n')).to.contain('not using KUBEBUILDER_ASSETS');
    expect(existsSync(bin)).to.equal(false);
  });

  it('refuses a --from folder of another version and installs nothing', async () => {
    const from = path.join(tmp.dir, 'from');
    await writeFakeBinaries(from, kubernetesVersion, etcdVersion);
    await writeFile(path.join(from, 'kubectl'), fakeScripts('1.36.0', etcdVersion).kubectl!);
    const err = await installKubernetes(options({ from })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.equal(`--from ${from} does not hold Kubernetes v${kubernetesVersion}: kubectl is 1.36.0, not ${kubernetesVersion}`);
    expect(existsSync(versionDir)).to.equal(false);
  });

  it('redoes a cache whose programs are not all there or not of the version', async () => {
    const from = path.join(tmp.dir, 'from');
    const scripts = await writeFakeBinaries(from, kubernetesVersion, etcdVersion);
    await writeFakeBinaries(bin, kubernetesVersion, etcdVersion);
    await writeFile(path.join(bin, 'kube-scheduler'), fakeScripts('1.36.1', etcdVersion)['kube-scheduler']!);
    const result = await installKubernetes(options({ from }));
    expect(result.source).to.equal('from');
    expect(await installed()).to.deep.equal(scripts);
  });

  it('downloads from a mirror, verifying each sha256, and installs the programs (etcd out of its tarball)', async () => {
    const files = await releaseFiles(tmp.dir);
    const mirror = await startMirror(files);
    closers.push(mirror.close);
    const result = await installKubernetes(options({ download: true, mirror: mirror.url }));
    expect(result.source).to.equal('download');
    expect(await installed()).to.deep.equal(fakeScripts(kubernetesVersion, etcdVersion));
    expect(mirror.requests).to.have.length(10);
    expect(await readdir(versionDir)).to.have.members(['bin', 'installed.json']);
    expect((await stat(path.join(bin, 'kubectl'))).mode & 0o777).to.equal(0o755);
  });

  it('takes the mirror from CRT_KUBERNETES_MIRROR', async () => {
    const mirror = await startMirror(await releaseFiles(tmp.dir));
    closers.push(mirror.close);
    const result = await installKubernetes(options({ download: true, env: { CRT_KUBERNETES_MIRROR: `${mirror.url}/` } }));
    expect(result.source).to.equal('download');
    expect(mirror.requests[0]).to.equal(`/release/v${kubernetesVersion}/bin/linux/${arch}/kube-apiserver.sha256`);
  });

  it('refuses a download whose checksum is wrong and leaves nothing behind, not even a part file', async () => {
    const files = await releaseFiles(tmp.dir);
    files.set(`/release/v${kubernetesVersion}/bin/linux/${arch}/kubectl`, Buffer.from('#!/bin/sh\necho tampered\n'));
    const mirror = await startMirror(files);
    closers.push(mirror.close);
    const err = await installKubernetes(options({ download: true, mirror: mirror.url, go: 'go-is-never-reached' })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.match(new RegExp(`^refused a download whose checksum is wrong: ${mirror.url}/release/v${kubernetesVersion}/bin/linux/${arch}/kubectl: sha256 [0-9a-f]{64} does not match the published ${sha256(fakeScripts(kubernetesVersion, etcdVersion).kubectl!)}$`));
    expect(existsSync(bin)).to.equal(false);
    expect(await readdir(versionDir)).to.deep.equal([]);
  });

  it('leaves nothing half-written when the connection drops mid-file, and says the download was unavailable', async () => {
    const files = await releaseFiles(tmp.dir);
    const mirror = await startMirror(files, `/release/v${kubernetesVersion}/bin/linux/${arch}/kube-scheduler`);
    closers.push(mirror.close);
    const err = await installKubernetes(options({ download: true, mirror: mirror.url })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.match(/download: .*kube-scheduler/);
    expect(existsSync(bin)).to.equal(false);
    expect(await readdir(versionDir)).to.deep.equal([]);
  });

  for (const afterHeaders of [false, true]) {
    it(`gives up on a mirror that goes silent ${afterHeaders ? 'in the middle of a file' : 'before answering'}, says so, and installs nothing`, async () => {
      const files = await releaseFiles(tmp.dir);
      const url = `/release/v${kubernetesVersion}/bin/linux/${arch}/kube-scheduler${afterHeaders ? '' : '.sha256'}`;
      const mirror = await startMirror(files, undefined, { url, afterHeaders });
      closers.push(mirror.close);
      const err = await installKubernetes(options({ download: true, mirror: mirror.url, downloadStallMs: 300 })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(EnvironmentError);
      expect((err as Error).message).to.contain(`download: ${mirror.url}${url}: no answer for 0.3 s`);
      expect(existsSync(bin)).to.equal(false);
      expect(await readdir(versionDir)).to.deep.equal([]);
    });
  }

  it('builds with go when nothing else works, from the committed build module, niced, with the version in the ldflags; a second call builds nothing', async () => {
    const log = path.join(tmp.dir, 'go-calls.jsonl');
    const go = await writeFakeGo(path.join(tmp.dir, 'gobin'), log, kubernetesVersion, etcdVersion);
    const mirror = await startMirror(new Map());
    closers.push(mirror.close);
    const result = await installKubernetes(options({ download: true, mirror: mirror.url, go }));
    expect(result.source).to.equal('build');
    expect(await installed()).to.deep.equal(fakeScripts(kubernetesVersion, etcdVersion));
    const calls = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; cwd: string; cgo: string; goMod: string; goSum: boolean });
    expect(calls).to.have.length(1);
    const [call] = calls;
    expect(call!.cwd).to.equal(path.join(versionDir, 'build'));
    expect(call!.goMod).to.equal(await readFile(new URL('../../../../../tools/kubernetes/go.mod', import.meta.url), 'utf8'));
    expect(call!.goSum).to.equal(true);
    expect(call!.cgo).to.equal('0');
    expect(call!.args.slice(0, 3)).to.deep.equal(['build', '-mod=readonly', '-trimpath']);
    expect(call!.args[4]).to.contain(`-X k8s.io/component-base/version.gitVersion=v${kubernetesVersion}`).and.contain(`-X k8s.io/client-go/pkg/version.gitVersion=v${kubernetesVersion}`);
    expect(call!.args.slice(-5)).to.deep.equal(['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-scheduler', 'k8s.io/kubernetes/cmd/kubectl', 'go.etcd.io/etcd/server/v3']);
    expect(progress.join('\n')).to.contain('download unavailable').and.contain('HTTP 404').and.contain(`built Kubernetes v${kubernetesVersion}`);

    const again = await installKubernetes(options({ download: true, mirror: mirror.url, go }));
    expect(again.source).to.equal('cache');
    expect((await readFile(log, 'utf8')).trim().split('\n')).to.have.length(1);
  });

  it('builds another release from a module generated from that release\'s go.mod (-mod=mod), pinning its staging modules', async () => {
    const log = path.join(tmp.dir, 'go-calls.jsonl');
    const releaseGoMod = path.join(tmp.dir, 'kubernetes.mod');
    await writeFile(releaseGoMod, 'module k8s.io/kubernetes\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 v3.6.5 // indirect\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n)\n');
    const go = await writeFakeGo(path.join(tmp.dir, 'gobin'), log, '1.36.3', '3.6.5', releaseGoMod);
    const result = await installKubernetes(options({ kubernetesVersion: 'v1.36.3', download: true, go }));
    expect(result).to.deep.equal({ kubernetesVersion: '1.36.3', bin: path.join(cache, 'kubernetes', '1.36.3', 'bin'), source: 'build' });
    expect(progress.join('\n')).to.contain('download: the etcd release of Kubernetes v1.36.3 is only known for the pinned');
    const [call] = (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; goMod: string; goSum: boolean });
    expect(call!.args[1]).to.equal('-mod=mod');
    expect(call!.goSum).to.equal(false);
    expect(call!.goMod).to.contain('\tgo.etcd.io/etcd/server/v3 v3.6.5\n\tk8s.io/kubernetes v1.36.3\n').and.contain('\tk8s.io/api => k8s.io/api v0.36.3\n').and.contain('\ngo 1.25.0\n');
  });

  it('reports a failed go build as such, with go\'s last words, and installs nothing', async () => {
    const goDir = path.join(tmp.dir, 'gobin');
    await mkdir(goDir);
    const go = path.join(goDir, 'go');
    await writeFile(go, '#!/bin/sh\n[ "$1" = version ] && { echo "go version go1.20 linux/amd64"; exit 0; }\necho "go: go.mod requires go >= 1.26.0 (running go 1.20; GOTOOLCHAIN=local)" >&2\nexit 1\n', { mode: 0o755 });
    const err = await installKubernetes(options({ go })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.contain(`building Kubernetes v${kubernetesVersion} with go version go1.20 linux/amd64 failed: go build exited 1:\ngo: go.mod requires go >= 1.26.0`);
    expect(existsSync(bin)).to.equal(false);
  });
});
