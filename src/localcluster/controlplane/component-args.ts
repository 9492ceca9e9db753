import path from 'node:path';
import { advertisable, httpsURL } from './addresses.js';
import { identities } from './cluster-pki.js';
import type { ControlPlaneLayout } from './layout.js';

/** The command lines of etcd, kube-apiserver, kube-controller-manager and kube-scheduler, as kubeadm would write them. */

export const componentNames = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type ComponentName = (typeof componentNames)[number];

export interface Settings {
  bindHost: string;
  serviceCIDR: string;
  clusterCIDR: string;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  defaultTolerationSeconds: number;
  hpaSyncPeriodMs: number;
  /** the API server's etcd compaction interval; unset: the release's default (5 min) */
  etcdCompactionIntervalMs?: number;
  /** false: the API server keeps no watch cache (--watch-cache=false) */
  watchCache?: boolean;
  hpaDownscaleStabilizationMs: number;
}

export interface Ports {
  /** the first etcd member's client and peer ports */
  etcdClient: number;
  etcdPeer: number;
  /** the other members' ports, when etcd runs as 3 members (empty: one member) */
  etcdOthers?: Array<{ client: number; peer: number }>;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

/** Where the certificates are (ClusterPki has this shape). */
export interface PkiPaths {
  cert(name: string): string;
  key(name: string): string;
  readonly saPublicKey: string;
  readonly saPrivateKey: string;
}

/** The kubeconfig of a control-plane client, by its file name. */
export function kubeconfigPath(layout: ControlPlaneLayout, name: 'admin' | 'controller-manager' | 'scheduler' | 'kube-proxy' | `kubelet-${string}`): string {
  return path.join(layout.kubeconfigs, `${name}.conf`);
}

const ms = (n: number) => `${Math.round(n)}ms`;

/** etcd's members: one (`crt`), or three (`crt-0`, `crt-1`, `crt-2`) with a data dir each under the etcd folder. */
export interface EtcdMember {
  /** its member name, and its process' id in the control plane (`etcd`, or `etcd-0`…) */
  name: string;
  id: string;
  client: number;
  peer: number;
  dataDir: string;
}

export function etcdMembers(layout: ControlPlaneLayout, ports: Ports): EtcdMember[] {
  const all = [{ client: ports.etcdClient, peer: ports.etcdPeer }, ...(ports.etcdOthers ?? [])];
  if (all.length === 1) return [{ name: 'crt', id: 'etcd', client: ports.etcdClient, peer: ports.etcdPeer, dataDir: layout.etcdData }];
  return all.map((p, i) => ({ name: `crt-${i}`, id: `etcd-${i}`, ...p, dataDir: path.join(layout.etcdData, `crt-${i}`) }));
}

export function etcdArgs(pki: PkiPaths, member: EtcdMember, members: readonly EtcdMember[]): string[] {
  const client = `https://127.0.0.1:${member.client}`;
  const peer = `https://127.0.0.1:${member.peer}`;
  // a member restarted on its data dir rejoins by it: the initial-cluster flags are then ignored
  const cluster = members.map((m) => `${m.name}=https://127.0.0.1:${m.peer}`).join(',');
  return [
    `--name=${member.name}`, `--data-dir=${member.dataDir}`,
    `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=${cluster}`,
    '--initial-cluster-state=new', '--initial-cluster-token=crt',
    // only the API server's certificate (signed by etcd's own CA) opens etcd
    '--client-cert-auth=true', `--trusted-ca-file=${pki.cert('etcd-ca')}`, `--cert-file=${pki.cert('etcd-server')}`, `--key-file=${pki.key('etcd-server')}`,
    '--peer-client-cert-auth=true', `--peer-trusted-ca-file=${pki.cert('etcd-ca')}`, `--peer-cert-file=${pki.cert('etcd-server')}`, `--peer-key-file=${pki.key('etcd-server')}`,
    '--snapshot-count=10000', '--log-level=warn',
  ];
}

export function apiserverArgs(pki: PkiPaths, layout: ControlPlaneLayout, s: Settings, ports: Ports): string[] {
  const proxy = identities.frontProxyClient.commonName;
  return [
    `--bind-address=${s.bindHost}`, `--secure-port=${ports.apiserver}`, `--advertise-address=${s.bindHost}`,
    // the `kubernetes` Service's endpoints may not hold a loopback address: with one, nothing reconciles them
    `--endpoint-reconciler-type=${advertisable(s.bindHost) ? 'lease' : 'none'}`,
    `--etcd-servers=${etcdMembers(layout, ports).map((m) => `https://127.0.0.1:${m.client}`).join(',')}`, `--etcd-cafile=${pki.cert('etcd-ca')}`,
    `--etcd-certfile=${pki.cert('apiserver-etcd-client')}`, `--etcd-keyfile=${pki.key('apiserver-etcd-client')}`,
    `--tls-cert-file=${pki.cert('apiserver')}`, `--tls-private-key-file=${pki.key('apiserver')}`,
    `--client-ca-file=${pki.cert('ca')}`,
    '--authorization-mode=Node,RBAC', '--anonymous-auth=true',
    // on top of the release's default plugins
    '--enable-admission-plugins=NodeRestriction',
    `--service-cluster-ip-range=${s.serviceCIDR}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.saPublicKey}`, `--service-account-signing-key-file=${pki.saPrivateKey}`,
    `--kubelet-client-certificate=${pki.cert('apiserver-kubelet-client')}`, `--kubelet-client-key=${pki.key('apiserver-kubelet-client')}`,
    `--kubelet-certificate-authority=${pki.cert('ca')}`,
    // node names do not resolve; kubelets report their InternalIP
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--default-not-ready-toleration-seconds=${s.defaultTolerationSeconds}`, `--default-unreachable-toleration-seconds=${s.defaultTolerationSeconds}`,
    // the aggregation layer, for a metrics.k8s.io APIService
    '--enable-aggregator-routing=true',
    `--requestheader-client-ca-file=${pki.cert('front-proxy-ca')}`, `--requestheader-allowed-names=${proxy}`,
    '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.cert('front-proxy-client')}`, `--proxy-client-key-file=${pki.key('front-proxy-client')}`,
    ...(s.etcdCompactionIntervalMs ? [`--etcd-compaction-interval=${ms(s.etcdCompactionIntervalMs)}`] : []),
    ...(s.watchCache === false ? ['--watch-cache=false'] : []),
    '--allow-privileged=true', '--profiling=false', `--cert-dir=${path.join(layout.pki, 'apiserver-generated')}`,
  ];
}

/** Flags both the controller-manager and the scheduler take: serving /healthz, delegated authn/authz. */
function secureServing(pki: PkiPaths, layout: ControlPlaneLayout, s: Settings, port: number, name: 'controller-manager' | 'scheduler'): string[] {
  const kubeconfig = kubeconfigPath(layout, name);
  return [
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${s.bindHost}`, `--secure-port=${port}`,
    `--tls-cert-file=${pki.cert(`${name}-serving`)}`, `--tls-private-key-file=${pki.key(`${name}-serving`)}`,
    `--client-ca-file=${pki.cert('ca')}`, `--requestheader-client-ca-file=${pki.cert('front-proxy-ca')}`,
    '--leader-elect=false', '--profiling=false',
  ];
}

export function controllerManagerArgs(pki: PkiPaths, layout: ControlPlaneLayout, s: Settings, ports: Ports): string[] {
  return [
    ...secureServing(pki, layout, s, ports.controllerManager, 'controller-manager'),
    '--controllers=*', '--use-service-account-credentials=true',
    '--allocate-node-cidrs=true', `--cluster-cidr=${s.clusterCIDR}`, '--node-cidr-mask-size=24', `--service-cluster-ip-range=${s.serviceCIDR}`,
    `--node-monitor-grace-period=${ms(s.nodeMonitorGracePeriodMs)}`, `--node-monitor-period=${ms(s.nodeMonitorPeriodMs)}`,
    `--horizontal-pod-autoscaler-sync-period=${ms(s.hpaSyncPeriodMs)}`,
    `--horizontal-pod-autoscaler-downscale-stabilization=${ms(s.hpaDownscaleStabilizationMs)}`,
    `--root-ca-file=${pki.cert('ca')}`, `--service-account-private-key-file=${pki.saPrivateKey}`,
    // the CSR signer, as a real cluster has it (kubelet serving-certificate rotation asks it)
    `--cluster-signing-cert-file=${pki.cert('ca')}`, `--cluster-signing-key-file=${pki.key('ca')}`,
    '--cluster-name=crt',
  ];
}

export function schedulerArgs(pki: PkiPaths, layout: ControlPlaneLayout, s: Settings, ports: Ports): string[] {
  return secureServing(pki, layout, s, ports.scheduler, 'scheduler');
}

/** The URL of a component's health check; etcd's is on its client port. */
export function healthURL(component: ComponentName, s: Settings, ports: Ports): string {
  switch (component) {
    case 'etcd': return `https://127.0.0.1:${ports.etcdClient}/health`;
    case 'kube-apiserver': return `${httpsURL(s.bindHost, ports.apiserver)}/readyz`;
    case 'kube-controller-manager': return `${httpsURL(s.bindHost, ports.controllerManager)}/healthz`;
    case 'kube-scheduler': return `${httpsURL(s.bindHost, ports.scheduler)}/healthz`;
  }
}
