import { expect } from 'chai';
import { requestAttributes } from '../../../../src/localcluster/apiserver/audit.js';

/** verb group resource/subresource namespace name, in one line per request. */
function attrs(method: string, path: string): string {
  const a = requestAttributes(method, new URL(path, 'http://api'));
  if (!a.resourceRequest) return `non-resource ${a.verb} ${a.path}`;
  return [a.verb, a.apiGroup || '""', a.subresource ? `${a.resource}/${a.subresource}` : a.resource, a.namespace || '-', a.name || '-'].join(' ');
}

describe('request attributes as the Kubernetes API server gives them to RBAC', () => {
  it('maps HTTP methods on items and collections to get, list, watch, create, update, patch, delete and deletecollection', () => {
    expect(attrs('GET', '/api/v1/namespaces/demo/pods/p-1')).to.equal('get "" pods demo p-1');
    expect(attrs('HEAD', '/api/v1/namespaces/demo/pods/p-1')).to.equal('get "" pods demo p-1');
    expect(attrs('GET', '/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb')).to.equal('list "" pods demo -');
    expect(attrs('GET', '/api/v1/namespaces/demo/pods?watch=true&resourceVersion=5')).to.equal('watch "" pods demo -');
    expect(attrs('GET', '/api/v1/namespaces/demo/pods?watch=1')).to.equal('watch "" pods demo -');
    expect(attrs('GET', '/api/v1/namespaces/demo/pods?watch=false')).to.equal('list "" pods demo -');
    expect(attrs('POST', '/apis/networking.k8s.io/v1/namespaces/demo/networkpolicies')).to.equal('create networking.k8s.io networkpolicies demo -');
    expect(attrs('PUT', '/api/v1/namespaces/crt/configmaps/crt-journal-x')).to.equal('update "" configmaps crt crt-journal-x');
    expect(attrs('PATCH', '/api/v1/nodes/node-1')).to.equal('patch "" nodes - node-1');
    expect(attrs('DELETE', '/apis/batch/v1/namespaces/crt/jobs/w')).to.equal('delete batch jobs crt w');
    expect(attrs('DELETE', '/api/v1/namespaces/crt/pods?labelSelector=x%3Dy')).to.equal('deletecollection "" pods crt -');
  });

  it('names subresources, and resources across all namespaces without a namespace', () => {
    expect(attrs('POST', '/api/v1/namespaces/demo/pods/p-1/eviction')).to.equal('create "" pods/eviction demo p-1');
    expect(attrs('GET', '/api/v1/namespaces/crt/pods/w-0/log?container=worker')).to.equal('get "" pods/log crt w-0');
    expect(attrs('PATCH', '/apis/apps/v1/namespaces/demo/deployments/web/scale')).to.equal('patch apps deployments/scale demo web');
    expect(attrs('PUT', '/api/v1/nodes/node-1/status')).to.equal('update "" nodes/status - node-1');
    expect(attrs('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1')).to.equal('list "" pods - -');
    expect(attrs('GET', '/apis/apps/v1/deployments?watch=true')).to.equal('watch apps deployments - -');
  });

  it('treats the namespace object itself, its status and the legacy /watch/ prefix as the server does', () => {
    expect(attrs('GET', '/api/v1/namespaces')).to.equal('list "" namespaces - -');
    expect(attrs('GET', '/api/v1/namespaces/demo')).to.equal('get "" namespaces demo demo');
    expect(attrs('PUT', '/api/v1/namespaces/demo/status')).to.equal('update "" namespaces/status demo demo');
    expect(attrs('GET', '/api/v1/watch/namespaces/demo/pods')).to.equal('watch "" pods demo -');
    expect(attrs('GET', '/api/v1/watch/namespaces/demo/pods/p-1')).to.equal('watch "" pods demo p-1');
  });

  it('gives a list or watch by metadata.name the name, for rules with resourceNames', () => {
    expect(attrs('GET', '/api/v1/namespaces/crt/configmaps?fieldSelector=metadata.name%3Dcrt-journal-x')).to.equal('list "" configmaps crt crt-journal-x');
    expect(attrs('GET', '/api/v1/namespaces/crt/configmaps?watch=1&fieldSelector=metadata.name%3D%3Da')).to.equal('watch "" configmaps crt a');
  });

  it('leaves discovery, health, OpenAPI and crt\'s own endpoints as non-resource URLs with the lowercase method', () => {
    expect(attrs('GET', '/version')).to.equal('non-resource get /version');
    expect(attrs('GET', '/api')).to.equal('non-resource get /api');
    expect(attrs('GET', '/api/v1')).to.equal('non-resource get /api/v1');
    expect(attrs('GET', '/apis/apps/v1')).to.equal('non-resource get /apis/apps/v1');
    expect(attrs('GET', '/openapi/v3/apis/apps/v1')).to.equal('non-resource get /openapi/v3/apis/apps/v1');
    expect(attrs('POST', '/crt/v1/nodes/node-2/power')).to.equal('non-resource post /crt/v1/nodes/node-2/power');
  });
});
