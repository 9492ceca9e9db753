import { expect } from 'chai';
import { requestAttributes } from '../../../src/localcluster/index.js';
import { grantAllows, grantsOf, permissions, ruleAllows, usesPermission, type Grant, type PolicyRule } from '../../helpers/rbac.js';

const req = (method: string, path: string) => requestAttributes(method, new URL(path, 'http://api'));
const rule = (r: Partial<PolicyRule>): PolicyRule => ({ verbs: [], ...r });

describe('RBAC rule evaluation (the test helper that checks deploy/k8s/rbac.yaml)', () => {
  it('matches verbs, API groups and resources exactly, or by *', () => {
    const pods = rule({ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] });
    expect(ruleAllows(pods, req('GET', '/api/v1/namespaces/demo/pods'))).to.equal(true);
    expect(ruleAllows(pods, req('GET', '/api/v1/namespaces/demo/pods?watch=1'))).to.equal(true);
    expect(ruleAllows(pods, req('GET', '/api/v1/namespaces/demo/pods/p'))).to.equal(false);
    expect(ruleAllows(pods, req('GET', '/apis/apps/v1/namespaces/demo/deployments'))).to.equal(false);
    expect(ruleAllows(rule({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), req('DELETE', '/apis/apps/v1/namespaces/demo/deployments'))).to.equal(true);
  });

  it('does not let a resource grant its subresources, but `*/scale` grants every scale', () => {
    const deployments = rule({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] });
    expect(ruleAllows(deployments, req('PATCH', '/apis/apps/v1/namespaces/demo/deployments/web/scale'))).to.equal(false);
    expect(ruleAllows(rule({ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] }), req('PATCH', '/apis/apps/v1/namespaces/demo/deployments/web/scale'))).to.equal(true);
    expect(ruleAllows(rule({ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch'] }), req('PATCH', '/apis/apps/v1/namespaces/demo/replicasets/r/scale'))).to.equal(true);
    expect(ruleAllows(rule({ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch'] }), req('PATCH', '/apis/apps/v1/namespaces/demo/replicasets/r'))).to.equal(false);
  });

  it('restricts by resourceNames, which a create (no name yet) never matches', () => {
    const journal = rule({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['crt-journal-a'], verbs: ['get', 'create'] });
    expect(ruleAllows(journal, req('GET', '/api/v1/namespaces/crt/configmaps/crt-journal-a'))).to.equal(true);
    expect(ruleAllows(journal, req('GET', '/api/v1/namespaces/crt/configmaps/other'))).to.equal(false);
    expect(ruleAllows(journal, req('POST', '/api/v1/namespaces/crt/configmaps'))).to.equal(false);
  });

  it('matches non-resource URLs exactly or by a trailing *', () => {
    const discovery = rule({ nonResourceURLs: ['/apis', '/apis/*'], verbs: ['get'] });
    expect(ruleAllows(discovery, req('GET', '/apis/apps/v1'))).to.equal(true);
    expect(ruleAllows(discovery, req('GET', '/version'))).to.equal(false);
    expect(ruleAllows(discovery, req('GET', '/api/v1/nodes'))).to.equal(false);
  });

  it('scopes a RoleBinding to its namespace and a ClusterRoleBinding to everything', () => {
    const objects = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [rule({ apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['list'] })] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'b', namespace: 'demo' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'crt', namespace: 'crt' }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'other' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'someone-else', namespace: 'crt' }] },
    ];
    const grants = grantsOf(objects, { namespace: 'crt', name: 'crt' });
    expect(grants.map((g) => g.where)).to.deep.equal(['ClusterRole r rules[0] via RoleBinding demo/b']);
    const allows = (g: Grant[], method: string, path: string) => g.some((x) => grantAllows(x, req(method, path)));
    expect(allows(grants, 'GET', '/api/v1/namespaces/demo/pods')).to.equal(true);
    expect(allows(grants, 'GET', '/api/v1/namespaces/shop/pods')).to.equal(false);
    expect(allows(grants, 'GET', '/api/v1/pods'), 'all namespaces need a ClusterRoleBinding').to.equal(false);
    expect(allows(grants, 'GET', '/api/v1/nodes'), 'cluster-scoped resources need a ClusterRoleBinding').to.equal(false);
    const everywhere: Grant[] = [{ ...grants[0]!, namespace: null }];
    expect(allows(everywhere, 'GET', '/api/v1/pods')).to.equal(true);
    expect(allows(everywhere, 'GET', '/api/v1/nodes')).to.equal(true);
  });

  it('splits a rule into single permissions and tells which requests use each', () => {
    const [grant] = grantsOf([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [rule({ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] })] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'crt', namespace: 'crt' }] },
    ], { namespace: 'crt', name: 'crt' });
    const perms = permissions(grant!);
    expect(perms.map((p) => `${p.verb} ${p.resource}`)).to.deep.equal(['get pods', 'get pods/log', 'list pods', 'list pods/log']);
    const used = perms.filter((p) => usesPermission(p, req('GET', '/api/v1/namespaces/crt/pods/w/log')));
    expect(used.map((p) => `${p.verb} ${p.resource}`)).to.deep.equal(['get pods/log']);
  });

  it('refuses a binding to a role that is not defined', () => {
    expect(() => grantsOf([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'b', namespace: 'demo' }, roleRef: { kind: 'Role', name: 'missing' }, subjects: [{ kind: 'ServiceAccount', name: 'crt', namespace: 'crt' }] }], { namespace: 'crt', name: 'crt' }))
      .to.throw('RoleBinding b refers to Role missing, which is not defined');
  });
});
