import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { etcdVersion, kubernetesVersion } from '../../../src/core/index.js';
import { crt } from '../../helpers/cli.js';
import { writeFakeBinaries } from '../../helpers/fake-kubernetes.js';
import { tempDir } from '../../helpers/tmp.js';

describe('crt cluster install', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('shows the pinned Kubernetes release in crt --version', async () => {
    const run = await crt(['--version']);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.equal(`0.1.0 (Kubernetes v${kubernetesVersion}, etcd v${etcdVersion}: crt cluster install)\n`);
  });

  it('installs from --from into CRT_CACHE, prints the bin folder, and says "cached" the second time', async () => {
    const from = path.join(tmp.dir, 'from');
    const scripts = await writeFakeBinaries(from, kubernetesVersion, etcdVersion);
    const env = { CRT_CACHE: path.join(tmp.dir, 'cache') };
    const bin = path.join(tmp.dir, 'cache', 'kubernetes', kubernetesVersion, 'bin');
    const first = await crt(['cluster', 'install', '--from', from], { env });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal(`${bin}\n`);
    expect(first.stderr).to.equal(`Kubernetes v${kubernetesVersion} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd): copied from --from, in ${bin}\n`);
    expect(await readFile(path.join(bin, 'kubectl'), 'utf8')).to.equal(scripts.kubectl);

    const second = await crt(['cluster', 'install'], { env });
    expect(second.code).to.equal(0);
    expect(second.stdout).to.equal(`${bin}\n`);
    expect(second.stderr).to.contain(': cached, in ');
  });

  it('exits 3 naming the three ways when no binaries, no download and no go are to be had', async () => {
    const emptyPath = path.join(tmp.dir, 'empty-path');
    await mkdir(emptyPath);
    const run = await crt(['cluster', 'install', '--no-download'], { env: { CRT_CACHE: path.join(tmp.dir, 'cache'), PATH: emptyPath } });
    expect(run.code).to.equal(3);
    expect(run.stdout).to.equal('');
    expect(run.stderr).to.contain(`error: no way to get Kubernetes v${kubernetesVersion}:\n  KUBEBUILDER_ASSETS is not set and no --from was given\n  downloading was turned off (--no-download)\n  go is not on PATH\n`);
    expect(run.stderr).to.contain('hint: three ways: (1) --from DIR or KUBEBUILDER_ASSETS=DIR');
    expect(existsSync(path.join(tmp.dir, 'cache', 'kubernetes', kubernetesVersion, 'bin'))).to.equal(false);
  });

  it('refuses a version that is not X.Y.Z (exit 2)', async () => {
    const run = await crt(['cluster', 'install', '--kubernetes-version', '1.37'], { env: { CRT_CACHE: path.join(tmp.dir, 'cache') } });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal(`error: not a Kubernetes release version: 1.37\nhint: X.Y.Z, e.g. ${kubernetesVersion}\n`);
  });
});
