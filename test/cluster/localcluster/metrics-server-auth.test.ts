import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createAuthority, issue, type Authority, type CertPair } from '../../../src/localcluster/controlplane/pki.js';
import type { Decision } from '../../../src/localcluster/metricsserver/authorizer.js';
import type { MetricsRequest } from '../../../src/localcluster/metricsserver/metrics-api.js';
import { metricsServer } from '../../../src/localcluster/metricsserver/metrics-server.js';
import type { UserInfo } from '../../../src/localcluster/metricsserver/request-header.js';

function get(port: number, path: string, ca: string, client?: CertPair, headers: Record<string, string | string[]> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, servername: 'metrics-server.kube-system.svc', ca, cert: client?.certPem, key: client?.keyPem, headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** crt's metrics-server over real TLS: only the front proxy's certificate asserts a user, and the authorizer decides. */
describe('metrics-server authentication (front-proxy client certificate, requestheader) and delegated authorization', () => {
  const validity = { now: new Date() };
  let clusterCa: Authority;
  let proxyCa: Authority;
  let proxyClient: CertPair;
  let server: https.Server;
  let port: number;
  let allowed: boolean;
  const asked: Array<{ user: UserInfo; req: MetricsRequest }> = [];

  before(async () => {
    [clusterCa, proxyCa] = await Promise.all([createAuthority('kubernetes', validity), createAuthority('front-proxy-ca', validity)]);
    proxyClient = await issue(proxyCa, { commonName: 'front-proxy-client', usages: ['client'] }, validity);
  });

  beforeEach(async () => {
    allowed = true;
    asked.length = 0;
    const serving = await issue(clusterCa, { commonName: 'metrics-server.kube-system.svc', dnsNames: ['metrics-server.kube-system.svc'], usages: ['server'] }, validity);
    server = metricsServer({
      tls: serving,
      requestHeader: { clientCaPem: proxyCa.certPem, allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'] },
      source: { pods: () => [], nodes: () => [] },
      lookup: { pods: async () => [], nodes: async () => [] },
      authorize: async (user, req): Promise<Decision> => { asked.push({ user, req }); return allowed ? { allowed } : { allowed, reason: 'no RBAC policy matched' }; },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the API to the front proxy for the user it names, after asking the authorizer', async () => {
    const r = await get(port, '/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods', clusterCa.certPem, proxyClient, { 'X-Remote-User': 'alice', 'X-Remote-Group': ['dev', 'ops'] });
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body)).to.deep.equal({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [] });
    expect(asked).to.deep.equal([{ user: { name: 'alice', groups: ['dev', 'ops', 'system:authenticated'], extra: {} }, req: { kind: 'resource', verb: 'list', resource: 'pods', namespace: 'ns' } }]);
  });

  it('answers 401 to a client without a certificate, with one of another CA, or with a name the API server does not use', async () => {
    const intruder = await issue(clusterCa, { commonName: 'front-proxy-client', usages: ['client'] }, validity);
    const misnamed = await issue(proxyCa, { commonName: 'someone', usages: ['client'] }, validity);
    const headers = { 'X-Remote-User': 'alice', 'X-Remote-Group': 'system:masters' };
    for (const client of [undefined, intruder, misnamed]) {
      const r = await get(port, '/apis/metrics.k8s.io/v1beta1/nodes', clusterCa.certPem, client, headers);
      expect(r.status).to.equal(401);
      expect(JSON.parse(r.body)).to.include({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
    expect(asked, 'no request reached the authorizer').to.deep.equal([]);
  });

  it('answers 403 with the authorizer\'s reason when the user may not read the resource, and 404 for a path it does not serve', async () => {
    allowed = false;
    const r = await get(port, '/apis/metrics.k8s.io/v1beta1/nodes', clusterCa.certPem, proxyClient, { 'X-Remote-User': 'bob' });
    expect(r.status).to.equal(403);
    expect(JSON.parse(r.body)).to.include({ reason: 'Forbidden', message: 'nodes.metrics.k8s.io is forbidden: User "bob" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope: no RBAC policy matched' });
    const missing = await get(port, '/apis/metrics.k8s.io/v1beta1/services', clusterCa.certPem, proxyClient, { 'X-Remote-User': 'bob' });
    expect(missing.status).to.equal(404);
  });

  it('answers health checks without authentication', async () => {
    expect(await get(port, '/healthz', clusterCa.certPem)).to.deep.equal({ status: 200, body: 'ok' });
    expect(asked).to.deep.equal([]);
  });
});
