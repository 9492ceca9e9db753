import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { etcdVersion, kubernetesVersion } from '../../../../src/core/index.js';
import { buildModule, versionLdflags } from '../../../../src/localcluster/install/go-module.js';

/** The parts of k8s.io/kubernetes@v1.37.2's go.mod that the build module is made from. */
const kubernetesGoMod = `module k8s.io/kubernetes

go 1.26.0

require (
	go.etcd.io/etcd/client/v3 v3.7.0
	k8s.io/api v0.0.0
	k8s.io/kubectl v0.0.0
)

require (
	go.etcd.io/etcd/server/v3 v3.7.0 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/cri-streaming => ./staging/src/k8s.io/cri-streaming
	k8s.io/kubectl => ./staging/src/k8s.io/kubectl
)
`;

describe('the Go build module of crt cluster install', () => {
  it('requires k8s.io/kubernetes and the etcd server it pins, and pins each staging module to v0.Y.Z', () => {
    const { goMod, etcdVersion: etcd } = buildModule('1.37.2', kubernetesGoMod);
    expect(etcd).to.equal('3.7.0');
    expect(goMod).to.contain('\ngo 1.26.0\n');
    expect(goMod).to.contain('require (\n\tgo.etcd.io/etcd/server/v3 v3.7.0\n\tk8s.io/kubernetes v1.37.2\n)');
    expect(goMod).to.contain([
      'replace (',
      '\tk8s.io/api           => k8s.io/api v0.37.2',
      '\tk8s.io/cri-streaming => k8s.io/cri-streaming v0.37.2',
      '\tk8s.io/kubectl       => k8s.io/kubectl v0.37.2',
      ')',
    ].join('\n'));
  });

  it('refuses a go.mod without staging replacements or without etcd\'s server', () => {
    expect(() => buildModule('1.37.2', 'module k8s.io/kubernetes\n')).to.throw('the go.mod of k8s.io/kubernetes v1.37.2 replaces no staging module');
    expect(() => buildModule('1.37.2', kubernetesGoMod.replace(/.*etcd\/server.*\n/, ''))).to.throw('requires no go.etcd.io/etcd/server/v3');
  });

  it('sets the version in component-base and client-go, so that --version and kubectl version --client report it', () => {
    const flags = versionLdflags('1.37.2', '2026-12-07T12:00:00Z');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      expect(flags).to.include.members([`-X ${pkg}.gitVersion=v1.37.2`, `-X ${pkg}.gitMajor=1`, `-X ${pkg}.gitMinor=37`, `-X ${pkg}.buildDate=2026-12-07T12:00:00Z`]);
    }
  });

  it('commits a build module (tools/kubernetes) of the same release and etcd as the pin crt --version shows', () => {
    const committed = readFileSync(new URL('../../../../../tools/kubernetes/go.mod', import.meta.url), 'utf8');
    const [, minor, patch] = kubernetesVersion.split('.');
    expect(committed).to.match(new RegExp(`^\\s*k8s\\.io/kubernetes v${kubernetesVersion.replace(/\./g, '\\.')}$`, 'm'));
    expect(committed).to.match(new RegExp(`^\\s*go\\.etcd\\.io/etcd/server/v3 v${etcdVersion.replace(/\./g, '\\.')}( // indirect)?$`, 'm'));
    const pins = [...committed.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+(\S+) (\S+)$/gm)];
    expect(pins.length).to.be.greaterThan(25);
    for (const [, from, to, version] of pins) expect([to, version]).to.deep.equal([from, `v0.${minor}.${patch}`]);
  });
});
