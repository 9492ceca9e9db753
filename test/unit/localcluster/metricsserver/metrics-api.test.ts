import { expect } from 'chai';
import { parseMetricsPath, serveResource, type MetricsLookup, type MetricsSource } from '../../../../src/localcluster/metricsserver/metrics-api.js';
import type { PodMetricsSample } from '../../../../src/localcluster/metricsserver/metrics-objects.js';

const now = Date.UTC(2026, 0, 1);
const pod = (name: string, uid: string): PodMetricsSample => ({
  namespace: 'ns', name, uid, node: 'node-1', labels: { stale: 'kubelet-copy' }, timestampMs: now, windowMs: 1000, containers: [{ name: 'c', cpuNanocores: 1e6, memoryBytes: 1024 }],
});
const source: MetricsSource = {
  pods: () => [pod('a', 'ua'), pod('b', 'ub')],
  nodes: () => [{ name: 'node-1', timestampMs: now, windowMs: 1000, cpuNanocores: 2e6, memoryBytes: 2048 }],
};

/** A lookup that records what it was asked and answers with the pods and nodes given. */
function lookup(pods: Array<{ uid: string; labels: Record<string, string> }>, nodes: Array<{ name: string; labels: Record<string, string> }> = [{ name: 'node-1', labels: { zone: 'a' } }]): MetricsLookup & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    async pods(namespace, labelSelector, fieldSelector) { asked.push({ namespace, labelSelector, fieldSelector }); return pods; },
    async nodes(labelSelector, fieldSelector) { asked.push({ labelSelector, fieldSelector }); return nodes; },
  };
}

describe('metrics.k8s.io requests', () => {
  it('names the resource, namespace and name of each path metrics-server serves, and nothing else', () => {
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1/nodes')).to.deep.equal({ kind: 'resource', verb: 'list', resource: 'nodes' });
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1/nodes/node-1')).to.deep.equal({ kind: 'resource', verb: 'get', resource: 'nodes', name: 'node-1' });
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1/pods')).to.deep.equal({ kind: 'resource', verb: 'list', resource: 'pods' });
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/')).to.deep.equal({ kind: 'resource', verb: 'list', resource: 'pods', namespace: 'ns' });
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p')).to.deep.equal({ kind: 'resource', verb: 'get', resource: 'pods', namespace: 'ns', name: 'p' });
    expect(parseMetricsPath('/apis/metrics.k8s.io/v1beta1')?.kind).to.equal('discovery');
    expect(parseMetricsPath('/apis')?.kind).to.equal('discovery');
    for (const p of ['/', '/api/v1/pods', '/apis/metrics.k8s.io/v1beta1/namespaces/ns', '/apis/metrics.k8s.io/v1beta1/nodes/a/b', '/apis/metrics.k8s.io/v1/nodes']) {
      expect(parseMetricsPath(p), p).to.equal(undefined);
    }
  });

  it('lists the pods the API server selects that have metrics, with the API server\'s labels', async () => {
    const l = lookup([{ uid: 'ub', labels: { app: 'b' } }, { uid: 'unsampled', labels: {} }]);
    const r = await serveResource({ kind: 'resource', verb: 'list', resource: 'pods', namespace: 'ns' }, new URLSearchParams('labelSelector=app%3Db'), source, l, now);
    expect(r.code).to.equal(200);
    const body = r.body as { kind: string; items: Array<{ metadata: { name: string; labels: unknown } }> };
    expect(body.kind).to.equal('PodMetricsList');
    expect(body.items.map((i) => [i.metadata.name, i.metadata.labels])).to.deep.equal([['b', { app: 'b' }]]);
    expect(l.asked).to.deep.equal([{ namespace: 'ns', labelSelector: 'app=b', fieldSelector: undefined }]);
  });

  it('gets one pod by name (a field selector on metadata.name), or answers 404 as metrics-server does', async () => {
    const l = lookup([{ uid: 'ua', labels: {} }]);
    const r = await serveResource({ kind: 'resource', verb: 'get', resource: 'pods', namespace: 'ns', name: 'a' }, new URLSearchParams(), source, l, now);
    expect(r.code).to.equal(200);
    expect(r.body).to.include({ kind: 'PodMetrics' });
    expect(l.asked).to.deep.equal([{ namespace: 'ns', labelSelector: undefined, fieldSelector: 'metadata.name=a' }]);
    const missing = await serveResource({ kind: 'resource', verb: 'get', resource: 'pods', namespace: 'ns', name: 'zz' }, new URLSearchParams(), source, lookup([]), now);
    expect(missing).to.deep.include({ code: 404 });
    expect(missing.body).to.include({ kind: 'Status', reason: 'NotFound', message: 'podmetrics.metrics.k8s.io "zz" not found', code: 404 });
  });

  it('serves NodeMetrics with the Node\'s labels; 404 for a node without metrics; 405 for a watch', async () => {
    const list = await serveResource({ kind: 'resource', verb: 'list', resource: 'nodes' }, new URLSearchParams(), source, lookup([], [{ name: 'node-1', labels: { zone: 'a' } }, { name: 'node-2', labels: {} }]), now);
    expect((list.body as { items: Array<{ metadata: { name: string; labels: unknown }; usage: unknown }> }).items.map((i) => [i.metadata.name, i.metadata.labels, i.usage])).to.deep.equal([['node-1', { zone: 'a' }, { cpu: '2m', memory: '2Ki' }]]);
    const gone = await serveResource({ kind: 'resource', verb: 'get', resource: 'nodes', name: 'node-2' }, new URLSearchParams(), source, lookup([], [{ name: 'node-2', labels: {} }]), now);
    expect(gone.body).to.include({ message: 'nodemetrics.metrics.k8s.io "node-2" not found' });
    const watch = await serveResource({ kind: 'resource', verb: 'list', resource: 'pods' }, new URLSearchParams('watch=true'), source, lookup([]), now);
    expect(watch.code).to.equal(405);
  });
});
