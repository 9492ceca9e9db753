import { expect } from 'chai';
import { parse } from 'yaml';
import { UsageError } from '../../../../src/core/index.js';
import { advertisable, apiserverSANs, firstServiceIP, httpsURL, parseCIDR } from '../../../../src/localcluster/controlplane/addresses.js';
import { apiserverArgs, controllerManagerArgs, etcdArgs, etcdMembers, schedulerArgs, type PkiPaths, type Settings } from '../../../../src/localcluster/controlplane/component-args.js';
import { kubeconfigYaml } from '../../../../src/localcluster/controlplane/kubeconfig.js';
import { controlPlaneLayout } from '../../../../src/localcluster/controlplane/layout.js';

const pki: PkiPaths = { cert: (n) => `/s/pki/${n}.crt`, key: (n) => `/s/pki/${n}.key`, saPublicKey: '/s/pki/sa.pub', saPrivateKey: '/s/pki/sa.key' };
const layout = controlPlaneLayout('/s');
const ports = { etcdClient: 2001, etcdPeer: 2002, apiserver: 6443, controllerManager: 10257, scheduler: 10259 };
const settings: Settings = {
  bindHost: '127.0.0.1', serviceCIDR: '198.19.0.0/16', clusterCIDR: '198.18.128.0/17',
  nodeMonitorGracePeriodMs: 4000, nodeMonitorPeriodMs: 1000, defaultTolerationSeconds: 5, hpaSyncPeriodMs: 3000,
  hpaDownscaleStabilizationMs: 4000,
};

describe('control-plane addresses', () => {
  it('puts the API server\'s Service IP first in the Service CIDR', () => {
    expect(firstServiceIP('198.19.0.0/16')).to.equal('198.19.0.1');
    expect(firstServiceIP('198.19.7.9/24')).to.equal('198.19.7.1');
  });

  it('refuses a CIDR that is not IPv4, naming the option', () => {
    expect(() => parseCIDR('198.19.0.0', 'serviceCIDR')).to.throw(UsageError, 'serviceCIDR: not an IPv4 CIDR: 198.19.0.0');
    expect(() => parseCIDR('fd00::/64', 'clusterCIDR')).to.throw(UsageError, 'clusterCIDR: not an IPv4 CIDR: fd00::/64');
    expect(() => parseCIDR('300.1.1.1/16', 'serviceCIDR')).to.throw(UsageError);
  });

  it('lists each SAN once, names apart from addresses', () => {
    expect(apiserverSANs('127.0.0.1', ['localhost', '198.18.0.1', 'api.test'], '198.19.0.0/16')).to.deep.equal({
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'api.test'],
      ips: ['127.0.0.1', '198.19.0.1', '198.18.0.1'],
    });
  });

  it('never advertises a loopback address, and brackets IPv6 in URLs', () => {
    expect([advertisable('127.0.0.1'), advertisable('127.9.0.1'), advertisable('::1'), advertisable('198.18.0.1')]).to.deep.equal([false, false, false, true]);
    expect(httpsURL('::1', 6443)).to.equal('https://[::1]:6443');
  });
});

describe('control-plane command lines', () => {
  it('serves etcd on loopback only, to clients of its own CA', () => {
    const members = etcdMembers(layout, ports);
    const args = etcdArgs(pki, members[0]!, members);
    expect(args).to.include.members(['--listen-client-urls=https://127.0.0.1:2001', '--listen-peer-urls=https://127.0.0.1:2002', '--data-dir=/s/etcd', '--client-cert-auth=true', '--trusted-ca-file=/s/pki/etcd-ca.crt', '--name=crt']);
  });

  it('runs etcd as three members of one cluster, each with its data dir, and gives the API server all three', () => {
    const three = { ...ports, etcdOthers: [{ client: 2101, peer: 2102 }, { client: 2201, peer: 2202 }] };
    const members = etcdMembers(layout, three);
    expect(members.map((m) => m.id)).to.deep.equal(['etcd-0', 'etcd-1', 'etcd-2']);
    const args = etcdArgs(pki, members[1]!, members);
    expect(args).to.include.members([
      '--name=crt-1', '--data-dir=/s/etcd/crt-1', '--listen-client-urls=https://127.0.0.1:2101', '--listen-peer-urls=https://127.0.0.1:2102',
      '--initial-cluster=crt-0=https://127.0.0.1:2002,crt-1=https://127.0.0.1:2102,crt-2=https://127.0.0.1:2202',
    ]);
    expect(apiserverArgs(pki, layout, settings, three)).to.include('--etcd-servers=https://127.0.0.1:2001,https://127.0.0.1:2101,https://127.0.0.1:2201');
  });

  it('runs the API server with Node and RBAC authorization, NodeRestriction, and the toleration seconds given', () => {
    const args = apiserverArgs(pki, layout, settings, ports);
    expect(args).to.include.members([
      '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--client-ca-file=/s/pki/ca.crt',
      '--service-cluster-ip-range=198.19.0.0/16', '--secure-port=6443', '--bind-address=127.0.0.1',
      '--default-not-ready-toleration-seconds=5', '--default-unreachable-toleration-seconds=5',
      '--kubelet-client-certificate=/s/pki/apiserver-kubelet-client.crt', '--kubelet-certificate-authority=/s/pki/ca.crt',
      '--enable-aggregator-routing=true', '--requestheader-allowed-names=front-proxy-client', '--requestheader-client-ca-file=/s/pki/front-proxy-ca.crt',
      '--etcd-servers=https://127.0.0.1:2001', '--service-account-signing-key-file=/s/pki/sa.key',
    ]);
    expect(args.filter((a) => a.startsWith('--admission-control='))).to.deep.equal([]);
  });

  it('reconciles the kubernetes Service\'s endpoints only when the API server is not on loopback', () => {
    expect(apiserverArgs(pki, layout, settings, ports)).to.include('--endpoint-reconciler-type=none');
    const routed = apiserverArgs(pki, layout, { ...settings, bindHost: '198.18.0.1' }, ports);
    expect(routed).to.include.members(['--endpoint-reconciler-type=lease', '--advertise-address=198.18.0.1']);
  });

  it('gives the controller-manager the node-lifecycle and HPA periods (sync, downscale stabilisation) in milliseconds, and CIDR allocation', () => {
    expect(controllerManagerArgs(pki, layout, settings, ports)).to.include.members([
      '--node-monitor-grace-period=4000ms', '--node-monitor-period=1000ms', '--horizontal-pod-autoscaler-sync-period=3000ms',
      '--horizontal-pod-autoscaler-downscale-stabilization=4000ms',
      '--allocate-node-cidrs=true', '--cluster-cidr=198.18.128.0/17', '--node-cidr-mask-size=24', '--controllers=*',
      '--use-service-account-credentials=true', '--leader-elect=false', '--kubeconfig=/s/kubeconfig/controller-manager.conf',
      '--root-ca-file=/s/pki/ca.crt', '--service-account-private-key-file=/s/pki/sa.key', '--secure-port=10257',
    ]);
  });

  it('runs the scheduler without leader election, on its own kubeconfig', () => {
    expect(schedulerArgs(pki, layout, settings, ports)).to.include.members(['--leader-elect=false', '--kubeconfig=/s/kubeconfig/scheduler.conf', '--secure-port=10259']);
  });
});

describe('control-plane kubeconfigs', () => {
  it('holds one cluster, user and context, certificates inline', () => {
    const doc = parse(kubeconfigYaml({ server: 'https://127.0.0.1:6443', caPem: 'CA', user: 'admin', certPem: 'CERT', keyPem: 'KEY' }));
    expect(doc['current-context']).to.equal('admin@crt');
    expect(doc.clusters).to.deep.equal([{ name: 'crt', cluster: { 'server': 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA').toString('base64') } }]);
    expect(doc.users).to.deep.equal([{ name: 'admin', user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') } }]);
    expect(doc.contexts).to.deep.equal([{ name: 'admin@crt', context: { cluster: 'crt', user: 'admin' } }]);
  });
});
