import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { tempDir } from '../../helpers/tmp.js';
import { requireKubernetes } from './real-binaries.js';

const exec = promisify(execFile);
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'netns-fixture.js');

// All of it happens in namespaces made for the test: a network namespace with only lo and a veth to
// `cpns`, addresses from 198.18.0.0/15 only; the pid namespace ends every process with the shell.
const setup = [
  'ip link set lo up', 'mount -t tmpfs tmpfs /run', 'ip netns add cpns',
  'ip link add veth-h type veth peer name veth-c', 'ip link set veth-c netns cpns',
  'ip addr add 198.18.0.2/30 dev veth-h', 'ip link set veth-h up',
  'ip netns exec cpns ip link set lo up', 'ip netns exec cpns ip addr add 198.18.0.1/30 dev veth-c', 'ip netns exec cpns ip link set veth-c up',
].join(' && ');

describe('ControlPlane in a network namespace of its own (wrap: ip netns exec)', function () {
  this.timeout(180_000);

  it('runs every program inside the namespace, serves on the bind host, reconciles the kubernetes Service to it, calls a kubelet with the certificates it issued, and stops clean', async function () {
    const bin = await requireKubernetes(this);
    const canIsolate = process.getuid?.() === 0 && !spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', 'ip', 'link', 'show', 'lo']).status;
    if (!canIsolate) {
      process.stdout.write('      skipped: needs root, unshare and ip (network and mount namespaces)\n');
      this.skip();
    }
    const tmp = await tempDir('crt-cp-netns-');
    try {
      const { stdout } = await exec('unshare', ['--net', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', `${setup} && exec "$0" "$@"`, process.execPath, fixture, bin, path.join(tmp.dir, 'state')], { timeout: 170_000 });
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { error?: string; url: string; programs: { exe: string; otherNetns: boolean }[]; endpoints: string[]; progress: string[]; after: number[]; kubeletAnswer?: string; kubeletCallers?: string[] };
      expect(out.error).to.equal(undefined);
      expect(out.url).to.match(/^https:\/\/198\.18\.0\.1:\d+$/);
      expect(out.programs.map((p) => path.basename(p.exe))).to.deep.equal(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
      expect(out.programs.every((p) => p.otherNetns)).to.equal(true);
      expect(out.endpoints).to.deep.equal([`198.18.0.1:${new URL(out.url).port}`]);
      expect(out.progress).to.include('control plane: etcd running (its health is checked through the next component)');
      expect(out.kubeletAnswer).to.equal('ok');
      expect(out.kubeletCallers).to.deep.equal(['kube-apiserver-kubelet-client GET /healthz']);
      expect(out.after).to.deep.equal([]);
    } finally {
      await tmp.remove();
    }
  });
});
