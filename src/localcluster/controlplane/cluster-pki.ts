import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { apiserverSANs } from './addresses.js';
import { createAuthority, issue, signingKeyPair, type Authority, type CertPair, type LeafSpec, type Validity } from './pki.js';

/** Who each client certificate names: Kubernetes takes CN as the user and O as the groups. */
export const identities = {
  admin: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
  controllerManager: { commonName: 'system:kube-controller-manager' },
  scheduler: { commonName: 'system:kube-scheduler' },
  kubeProxy: { commonName: 'system:kube-proxy' },
  /** the API server calling kubelets (logs, exec): bound to `system:kubelet-api-admin` after start */
  apiserverKubeletClient: { commonName: 'kube-apiserver-kubelet-client' },
  /** the API server proxying to aggregated APIs; the only name `--requestheader-allowed-names` accepts */
  frontProxyClient: { commonName: 'front-proxy-client' },
  apiserverEtcdClient: { commonName: 'kube-apiserver-etcd-client' },
} as const satisfies Record<string, { commonName: string; organizations?: readonly string[] }>;

export type ClientIdentity = Exclude<keyof typeof identities, 'apiserverKubeletClient' | 'frontProxyClient' | 'apiserverEtcdClient'>;

/** A node's kubelet client identity, as the Node authorizer and NodeRestriction read it. */
export function kubeletClientSpec(node: string): LeafSpec {
  return { commonName: `system:node:${node}`, organizations: ['system:nodes'], usages: ['client'] };
}

/** A kubelet's serving certificate: the API server checks it against the cluster CA when it calls the kubelet. */
export function kubeletServingSpec(node: string, ips: readonly string[]): LeafSpec {
  return { commonName: node, dnsNames: [node], ips, usages: ['server'] };
}

export interface ClusterPkiOptions {
  dir: string;
  bindHost: string;
  extraSANs: readonly string[];
  serviceCIDR: string;
  validity: Validity;
}

/**
 * The control plane's certificates, written as `<dir>/<name>.crt|.key` (keys 0600): three authorities
 * as kubeadm has them (the cluster CA; etcd's own, so that no kubelet certificate opens etcd; the
 * front proxy's, so that no ordinary client can pose as the aggregator), the serving and client
 * certificates of each component, and the service-account signing key (`sa.key`, `sa.pub`). Client
 * identities used only through kubeconfigs are kept in memory until the kubeconfigs are written.
 */
export class ClusterPki {
  private constructor(
    readonly dir: string,
    readonly ca: Authority,
    private readonly validity: Validity,
    readonly clients: Readonly<Record<ClientIdentity, CertPair>>,
  ) {}

  static async create(opts: ClusterPkiOptions): Promise<ClusterPki> {
    const v = opts.validity;
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const [ca, etcdCa, frontProxyCa] = await Promise.all([createAuthority('kubernetes', v), createAuthority('etcd-ca', v), createAuthority('front-proxy-ca', v)]);
    const local = { dnsNames: ['localhost'], ips: ['127.0.0.1'] };
    // the controller-manager and scheduler serve /healthz on the bind host
    const serving = isIP(opts.bindHost) ? { dnsNames: ['localhost'], ips: [...new Set(['127.0.0.1', opts.bindHost])] } : { dnsNames: [...new Set(['localhost', opts.bindHost])], ips: ['127.0.0.1'] };
    const pairs: Record<string, CertPair> = {
      'ca': ca,
      'etcd-ca': etcdCa,
      'front-proxy-ca': frontProxyCa,
      'apiserver': await issue(ca, { commonName: 'kube-apiserver', ...apiserverSANs(opts.bindHost, opts.extraSANs, opts.serviceCIDR), usages: ['server'] }, v),
      'apiserver-kubelet-client': await issue(ca, { ...identities.apiserverKubeletClient, usages: ['client'] }, v),
      'front-proxy-client': await issue(frontProxyCa, { ...identities.frontProxyClient, usages: ['client'] }, v),
      // etcd's peer listener uses this certificate both ways
      'etcd-server': await issue(etcdCa, { commonName: 'etcd', ...local, usages: ['server', 'client'] }, v),
      'apiserver-etcd-client': await issue(etcdCa, { ...identities.apiserverEtcdClient, usages: ['client'] }, v),
      'controller-manager-serving': await issue(ca, { commonName: 'kube-controller-manager', ...serving, usages: ['server'] }, v),
      'scheduler-serving': await issue(ca, { commonName: 'kube-scheduler', ...serving, usages: ['server'] }, v),
    };
    for (const [name, pair] of Object.entries(pairs)) {
      await writeFile(path.join(opts.dir, `${name}.crt`), pair.certPem, { mode: 0o644 });
      await writeFile(path.join(opts.dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
    }
    const sa = await signingKeyPair();
    await writeFile(path.join(opts.dir, 'sa.pub'), sa.publicKeyPem, { mode: 0o644 });
    await writeFile(path.join(opts.dir, 'sa.key'), sa.privateKeyPem, { mode: 0o600 });
    const client = (id: ClientIdentity) => issue(ca, { ...identities[id], usages: ['client'] }, v);
    const clients = { admin: await client('admin'), controllerManager: await client('controllerManager'), scheduler: await client('scheduler'), kubeProxy: await client('kubeProxy') };
    return new ClusterPki(opts.dir, ca, v, clients);
  }

  /** The path of `<name>.crt`. */
  cert(name: string): string {
    return path.join(this.dir, `${name}.crt`);
  }

  /** The path of `<name>.key`. */
  key(name: string): string {
    return path.join(this.dir, `${name}.key`);
  }

  get saPublicKey(): string {
    return path.join(this.dir, 'sa.pub');
  }

  get saPrivateKey(): string {
    return path.join(this.dir, 'sa.key');
  }

  /** A serving certificate of the cluster CA for `dnsNames`, valid from `now`. */
  serving(dnsNames: readonly string[], now = this.validity.now): Promise<CertPair> {
    return issue(this.ca, { commonName: dnsNames[0] ?? 'server', dnsNames, usages: ['server'] }, { ...this.validity, now });
  }

  /** A kubelet's client and serving certificates, valid from `now` (default: the validity given at creation). */
  async node(node: string, ips: readonly string[], now = this.validity.now): Promise<{ client: CertPair; serving: CertPair }> {
    const v = { ...this.validity, now };
    return { client: await issue(this.ca, kubeletClientSpec(node), v), serving: await issue(this.ca, kubeletServingSpec(node, ips), v) };
  }
}
