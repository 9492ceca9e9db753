import { expect } from 'chai';
import type { CoreV1Api } from '@kubernetes/client-node';
import { EnvironmentError } from '../../../../src/core/index.js';
import { readRequestHeaderConfig, requestHeaderUser, type RequestHeaderConfig } from '../../../../src/localcluster/metricsserver/request-header.js';
import { reviewSpec } from '../../../../src/localcluster/metricsserver/authorizer.js';

const cfg: RequestHeaderConfig = {
  clientCaPem: 'CA', allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'],
};
const proxy = { authorized: true, commonName: 'front-proxy-client' };

describe('requestheader authentication of the front proxy', () => {
  it('takes the user, every group and the extras from a front-proxy certificate\'s request, adding system:authenticated', () => {
    const user = requestHeaderUser(proxy, { 'x-remote-user': ['alice'], 'x-remote-group': ['dev', 'ops'], 'x-remote-extra-scopes%2Fread': ['a', 'b'], 'accept': ['*/*'] }, cfg);
    expect(user).to.deep.equal({ name: 'alice', groups: ['dev', 'ops', 'system:authenticated'], extra: { 'scopes/read': ['a', 'b'] } });
  });

  it('refuses a client whose certificate the request-header CA did not sign, or with a name not allowed, or naming no user', () => {
    const headers = { 'x-remote-user': ['alice'] };
    expect(requestHeaderUser({ authorized: false, commonName: 'front-proxy-client' }, headers, cfg)).to.equal(undefined);
    expect(requestHeaderUser({ authorized: true, commonName: 'kubernetes-admin' }, headers, cfg)).to.equal(undefined);
    expect(requestHeaderUser(proxy, { 'x-remote-user': [''] }, cfg)).to.equal(undefined);
    expect(requestHeaderUser({ authorized: true, commonName: 'anyone' }, headers, { ...cfg, allowedNames: [] })?.name).to.equal('alice');
  });

  it('reads the front proxy\'s settings from extension-apiserver-authentication, and says so when the aggregation layer is off', async () => {
    const data = {
      'requestheader-client-ca-file': 'PEM', 'requestheader-allowed-names': '["front-proxy-client"]', 'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]', 'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]', 'client-ca-file': 'OTHER',
    };
    const asked: unknown[] = [];
    const core = { readNamespacedConfigMap: async (req: unknown) => { asked.push(req); return { data }; } } as unknown as CoreV1Api;
    expect(await readRequestHeaderConfig(core)).to.deep.equal({ ...cfg, clientCaPem: 'PEM' });
    expect(asked).to.deep.equal([{ namespace: 'kube-system', name: 'extension-apiserver-authentication' }]);
    const bare = { readNamespacedConfigMap: async () => ({ data: { 'client-ca-file': 'OTHER' } }) } as unknown as CoreV1Api;
    const err = await readRequestHeaderConfig(bare).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.contain('holds no requestheader-client-ca-file');
  });

  it('asks the API server about a resource request with its group, resource, verb, namespace and name, and about discovery by path', () => {
    const user = { name: 'u', groups: ['g'], extra: {} };
    expect(reviewSpec(user, { kind: 'resource', verb: 'get', resource: 'pods', namespace: 'ns', name: 'p' })).to.deep.equal({
      user: 'u', groups: ['g'], extra: {}, resourceAttributes: { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', verb: 'get', namespace: 'ns', name: 'p' },
    });
    expect(reviewSpec(user, { kind: 'discovery', path: '/apis', body: {} }).nonResourceAttributes).to.deep.equal({ path: '/apis', verb: 'get' });
  });
});
