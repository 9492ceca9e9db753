import { expect } from 'chai';
import { apiMessage, forbiddenHint } from '../../../src/kube/index.js';
import { ApiException } from '@kubernetes/client-node';

const apiError = (code: number, body: object) => new ApiException(code, `HTTP ${code}`, JSON.stringify(body), {});
const forbidden = (message: string) => apiError(403, { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message });

describe('forbiddenHint: what to do about a 403 from the authorizer', () => {
  it('names the RoleBinding that grants the namespace a namespaced request was refused in', () => {
    const err = forbidden('pods "web-1" is forbidden: User "system:serviceaccount:crt:crt" cannot delete resource "pods" in API group "" in the namespace "shop"');
    expect(`${apiMessage(err)}${forbiddenHint(err)}`).to.equal(
      'pods "web-1" is forbidden: User "system:serviceaccount:crt:crt" cannot delete resource "pods" in API group "" in the namespace "shop" (HTTP 403); '
      + 'the API server\'s authorizer refused crt\'s identity (RBAC); grant crt the namespace: add it to cluster.namespaces and run '
      + '`kubectl -n shop create rolebinding crt-namespaced-faults --clusterrole=crt-namespaced-faults --serviceaccount=crt:crt` '
      + '(deploy/k8s/rbac.yaml lists what each fault needs)');
  });

  it('points at deploy/k8s/rbac.yaml for a cluster-scoped refusal', () => {
    const err = forbidden('nodes "node-1" is forbidden: User "system:serviceaccount:crt:crt" cannot patch resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenHint(err)).to.equal('; the API server\'s authorizer refused crt\'s identity (RBAC); grant crt the permission (deploy/k8s/rbac.yaml lists what each fault needs)');
  });

  it('says nothing for any other failure', () => {
    expect(forbiddenHint(apiError(404, { message: 'not found' }))).to.equal('');
    expect(forbiddenHint(apiError(429, { message: 'slow down' }))).to.equal('');
    expect(forbiddenHint(new Error('socket hang up'))).to.equal('');
  });
});
