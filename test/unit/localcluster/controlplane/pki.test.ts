import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { ClusterPki } from '../../../../src/localcluster/controlplane/cluster-pki.js';
import { createAuthority, issue } from '../../../../src/localcluster/controlplane/pki.js';
import { tempDir } from '../../../helpers/tmp.js';

const now = new Date('2026-03-01T12:00:00Z');
const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

describe('control-plane PKI', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let pki: ClusterPki;
  const load = async (name: string) => new X509Certificate(await readFile(pki.cert(name)));

  before(async () => {
    tmp = await tempDir('crt-pki-');
    pki = await ClusterPki.create({ dir: path.join(tmp.dir, 'pki'), bindHost: '198.18.0.1', extraSANs: ['10.0.0.9', 'cp.example'], serviceCIDR: '198.19.0.0/16', validity: { now } });
  });
  after(() => tmp.remove());

  it('makes a self-signed CA valid from an hour before now for ten years', async () => {
    const ca = await load('ca');
    expect(ca.ca).to.equal(true);
    expect(ca.subject).to.equal('CN=kubernetes');
    expect(ca.verify(ca.publicKey)).to.equal(true);
    expect(new Date(ca.validFrom).toISOString()).to.equal('2026-03-01T11:00:00.000Z');
    expect(new Date(ca.validTo).toISOString()).to.equal('2036-02-27T12:00:00.000Z');
  });

  it('gives the API server a serving certificate for every name and address clients use, signed by the CA', async () => {
    const [ca, cert] = [await load('ca'), await load('apiserver')];
    expect(cert.ca).to.equal(false);
    expect(cert.checkIssued(ca)).to.equal(true);
    expect(cert.verify(ca.publicKey)).to.equal(true);
    expect(cert.keyUsage).to.deep.equal([serverAuth]);
    expect(cert.subjectAltName?.split(', ')).to.deep.equal([
      'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:cp.example',
      'IP Address:127.0.0.1', 'IP Address:198.19.0.1', 'IP Address:198.18.0.1', 'IP Address:10.0.0.9',
    ]);
    expect(new Date(cert.validTo).toISOString()).to.equal('2027-03-01T12:00:00.000Z');
    expect(cert.checkHost('kubernetes.default.svc')).to.equal('kubernetes.default.svc');
    expect(cert.checkIP('198.19.0.1')).to.equal('198.19.0.1');
    expect(cert.checkIP('198.19.0.2')).to.equal(undefined);
  });

  it('names each client as Kubernetes reads it (CN the user, O the groups)', () => {
    const subject = (pem: string) => new X509Certificate(pem).subject;
    expect(subject(pki.clients.admin.certPem)).to.equal('O=system:masters\nCN=kubernetes-admin');
    expect(subject(pki.clients.controllerManager.certPem)).to.equal('CN=system:kube-controller-manager');
    expect(subject(pki.clients.scheduler.certPem)).to.equal('CN=system:kube-scheduler');
    expect(subject(pki.clients.kubeProxy.certPem)).to.equal('CN=system:kube-proxy');
    expect(new X509Certificate(pki.clients.admin.certPem).keyUsage).to.deep.equal([clientAuth]);
  });

  it('gives the API server a kubelet client certificate from the cluster CA', async () => {
    const cert = await load('apiserver-kubelet-client');
    expect(cert.subject).to.equal('CN=kube-apiserver-kubelet-client');
    expect(cert.checkIssued(await load('ca'))).to.equal(true);
  });

  it('gives each kubelet a client identity in system:nodes and a serving certificate for its name and addresses', async () => {
    const ca = await load('ca');
    const { client, serving } = await pki.node('node-1', ['198.18.0.2', '127.0.0.1']);
    const c = new X509Certificate(client.certPem);
    expect(c.subject).to.equal('O=system:nodes\nCN=system:node:node-1');
    expect(c.keyUsage).to.deep.equal([clientAuth]);
    expect(c.verify(ca.publicKey)).to.equal(true);
    const s = new X509Certificate(serving.certPem);
    expect(s.subjectAltName).to.equal('DNS:node-1, IP Address:198.18.0.2, IP Address:127.0.0.1');
    expect(s.keyUsage).to.deep.equal([serverAuth]);
    expect(s.verify(ca.publicKey)).to.equal(true);
    expect(s.checkPrivateKey(createPrivateKey(serving.keyPem))).to.equal(true);
  });

  it('keeps etcd and the front proxy on authorities of their own: no cluster certificate opens them', async () => {
    const [ca, etcdCa, frontCa] = [await load('ca'), await load('etcd-ca'), await load('front-proxy-ca')];
    const etcdClient = await load('apiserver-etcd-client');
    expect(etcdClient.checkIssued(etcdCa)).to.equal(true);
    expect(etcdClient.checkIssued(ca)).to.equal(false);
    const etcdServer = await load('etcd-server');
    expect(etcdServer.keyUsage).to.have.members([serverAuth, clientAuth]);
    expect(etcdServer.subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1');
    const proxy = await load('front-proxy-client');
    expect(proxy.subject).to.equal('CN=front-proxy-client');
    expect(proxy.checkIssued(frontCa)).to.equal(true);
    expect(proxy.checkIssued(ca)).to.equal(false);
  });

  it('serves the controller-manager and scheduler health checks on the bind host', async () => {
    expect((await load('controller-manager-serving')).subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:198.18.0.1');
    expect((await load('scheduler-serving')).subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:198.18.0.1');
  });

  it('writes private keys readable by their owner only, and a service-account key pair that signs and verifies', async () => {
    expect((await stat(pki.key('ca'))).mode & 0o777).to.equal(0o600);
    expect((await stat(pki.saPrivateKey)).mode & 0o777).to.equal(0o600);
    expect((await stat(pki.cert('ca'))).mode & 0o777).to.equal(0o644);
    const data = Buffer.from('token');
    const signature = sign('sha256', data, createPrivateKey(await readFile(pki.saPrivateKey)));
    expect(verify('sha256', data, createPublicKey(await readFile(pki.saPublicKey)), signature)).to.equal(true);
  });

  it('gives every certificate its own serial number, and a leaf of another CA does not verify', async () => {
    const other = await createAuthority('other', { now });
    const leaf = new X509Certificate((await issue(other, { commonName: 'x', usages: ['client'] }, { now, days: 2 })).certPem);
    expect(new Date(leaf.validTo).toISOString()).to.equal('2026-03-03T12:00:00.000Z');
    expect(leaf.verify((await load('ca')).publicKey)).to.equal(false);
    const serials = await Promise.all(['ca', 'apiserver', 'etcd-ca', 'etcd-server', 'front-proxy-ca'].map(async (n) => (await load(n)).serialNumber));
    expect(new Set(serials).size).to.equal(serials.length);
  });
});
