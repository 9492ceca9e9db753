import { expect } from 'chai';
import { applyPatch } from '../../../src/localcluster/api/patch.js';
import { ApiError, type KObject } from '../../../src/localcluster/api/types.js';

const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

function deployment(): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', args: ['-a', '-b'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
            { name: 'sidecar', image: 'envoy:1.0' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] },
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

/** Every key of a JSON value, at any depth. */
const allKeys = (v: unknown): string[] => (typeof v !== 'object' || v === null ? []
  : Array.isArray(v) ? v.flatMap(allKeys) : Object.entries(v).flatMap(([k, x]) => [k, ...allKeys(x)]));

describe('JSON patch', () => {
  it('applies operations to a copy and leaves the target untouched', () => {
    const target = deployment();
    const before = structuredClone(target);
    const out = applyPatch(target, JSON_PATCH, [{ op: 'replace', path: '/spec/replicas', value: 5 }, { op: 'add', path: '/metadata/labels/tier', value: 'front' }]);
    expect(out.spec.replicas).to.equal(5);
    expect(out.metadata.labels).to.deep.equal({ app: 'web', tier: 'front' });
    expect(target).to.deep.equal(before);
  });

  it('answers a failing test operation with 422 Invalid', () => {
    const err = apiError(() => applyPatch(deployment(), JSON_PATCH, [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 9 }]));
    expect([err.code, err.reason]).to.deep.equal([422, 'Invalid']);
    expect(err.message).to.contain('Test operation failed');
  });

  it('answers a path that does not exist with 422 Invalid', () => {
    const err = apiError(() => applyPatch(deployment(), JSON_PATCH, [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }]));
    expect([err.code, err.reason]).to.deep.equal([422, 'Invalid']);
  });

  it('answers a malformed patch with 400 BadRequest', () => {
    expect(apiError(() => applyPatch(deployment(), JSON_PATCH, { op: 'add' })).code).to.equal(400);
    expect(apiError(() => applyPatch(deployment(), JSON_PATCH, [{ op: 'frobnicate', path: '/a' }])).code).to.equal(400);
    expect(apiError(() => applyPatch(deployment(), JSON_PATCH, '[{"op":')).reason).to.equal('BadRequest');
  });

  it('applies the template replacement kubectl rollout undo sends', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.24' }] } };
    const out = applyPatch(deployment(), JSON_PATCH, JSON.stringify([
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
    ]));
    expect(out.spec.template).to.deep.equal(template);
  });
});

describe('JSON merge patch', () => {
  it('merges maps, deletes keys set to null and replaces lists', () => {
    const out = applyPatch(deployment(), MERGE, { metadata: { labels: { tier: 'front', app: null } }, spec: { template: { spec: { tolerations: [] } } } });
    expect(out.metadata.labels).to.deep.equal({ tier: 'front' });
    expect(out.spec.template.spec.tolerations).to.deep.equal([]);
    expect(out.spec.template.spec.containers).to.have.length(2);
  });

  it('applies the replicas patch kubectl scale sends', () => {
    expect(applyPatch(deployment(), `${MERGE}; charset=utf-8`, { spec: { replicas: 7 } }).spec.replicas).to.equal(7);
  });

  it('rejects a patch that is not an object', () => {
    expect(apiError(() => applyPatch(deployment(), MERGE, [1, 2])).code).to.equal(400);
  });
});

describe('strategic merge patch', () => {
  it('adds the template annotation kubectl rollout restart sends and keeps everything else', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' } } } } });
    expect(out.spec.template.metadata).to.deep.equal({ labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' } });
    expect(out.spec.template.spec).to.deep.equal(deployment().spec.template.spec);
  });

  it('merges the container kubectl set image names, leaving its other fields and the other container alone', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
    const [web, sidecar] = out.spec.template.spec.containers;
    expect(web).to.deep.equal({ ...deployment().spec.template.spec.containers[0], image: 'nginx:1.26' });
    expect(sidecar).to.deep.equal({ name: 'sidecar', image: 'envoy:1.0' });
  });

  it('replaces the whole template on $patch: replace, as older kubectl rollout undo sends', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.24' }] } } } });
    expect(out.spec.template).to.deep.equal({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.24' }] } });
  });

  it('applies the replicas and label patches of kubectl scale and kubectl label', () => {
    const out = applyPatch(deployment(), SMP, { metadata: { labels: { env: 'prod', app: null } }, spec: { replicas: 0 } });
    expect(out.metadata.labels).to.deep.equal({ env: 'prod' });
    expect(out.spec.replicas).to.equal(0);
  });

  it('deletes a container on $patch: delete', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
    expect(out.spec.template.spec.containers.map((c: { name: string }) => c.name)).to.deep.equal(['web']);
  });

  it('applies a client-side kubectl apply patch with $setElementOrder and $retainKeys', () => {
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' } },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: { spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }, { name: 'new' }],
          containers: [{ name: 'web', image: 'nginx:1.27', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }], env: [{ name: 'A', value: '9' }] }, { name: 'new', image: 'busybox' }],
        } },
      },
    };
    const out = applyPatch(deployment(), SMP, patch);
    expect(out.spec.strategy).to.deep.equal({ type: 'Recreate' });
    expect(out.spec.template.spec.containers.map((c: { name: string }) => c.name)).to.deep.equal(['sidecar', 'web', 'new']);
    expect(out.spec.template.spec.containers[1].env).to.deep.equal([{ name: 'B', value: '2' }, { name: 'A', value: '9' }]);
    expect(out.metadata.annotations).to.have.property('kubectl.kubernetes.io/last-applied-configuration');
    expect(allKeys(out).filter((k) => k.startsWith('$'))).to.deep.equal([]);
  });

  it('merges container ports by containerPort and Service ports by port', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090 }] }] } } } });
    expect(out.spec.template.spec.containers[0].ports).to.deep.equal([{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 9090 }]);
    const svc: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const patched = applyPatch(svc, SMP, { spec: { ports: [{ port: 80, targetPort: 9000 }] } });
    expect(patched.spec.ports).to.deep.equal([{ port: 80, targetPort: 9000 }, { port: 443 }]);
  });

  it('replaces lists without a merge key, such as args and tolerations', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'web', args: ['-c'] }] } } } });
    expect(out.spec.template.spec.tolerations).to.deep.equal([{ key: 'b', operator: 'Exists' }]);
    expect(out.spec.template.spec.containers[0].args).to.deep.equal(['-c']);
  });

  it('merges status conditions by type', () => {
    const out = applyPatch(deployment(), SMP, { status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'Stuck' }] } });
    expect(out.status.conditions).to.deep.equal([{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'False', reason: 'Stuck' }]);
  });

  it('unions finalizers and removes the ones listed in $deleteFromPrimitiveList', () => {
    const target = { ...deployment(), metadata: { name: 'web', finalizers: ['a', 'b'] } };
    const out = applyPatch(target, SMP, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] } });
    expect(out.metadata.finalizers).to.deep.equal(['b', 'c']);
  });

  it('replaces a whole list when one element says $patch: replace', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { volumes: [{ $patch: 'replace' }, { name: 'cache', emptyDir: {} }] } } } });
    expect(out.spec.template.spec.volumes).to.deep.equal([{ name: 'cache', emptyDir: {} }]);
  });

  it('empties a map on $patch: delete', () => {
    expect(applyPatch(deployment(), SMP, { spec: { strategy: { $patch: 'delete' } } }).spec.strategy).to.deep.equal({});
  });

  it('strips directives from a subtree the target did not have', () => {
    const out = applyPatch(deployment(), SMP, { spec: { template: { spec: { initContainers: [{ name: 'init', image: 'busybox' }, { name: 'gone', $patch: 'delete' }], '$setElementOrder/initContainers': [{ name: 'init' }] } } } });
    expect(out.spec.template.spec.initContainers).to.deep.equal([{ name: 'init', image: 'busybox' }]);
    expect(allKeys(out).filter((k) => k.startsWith('$'))).to.deep.equal([]);
  });

  it('rejects a merge-list element without its merge key', () => {
    const err = apiError(() => applyPatch(deployment(), SMP, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }));
    expect([err.code, err.message]).to.deep.equal([400, 'map: {"image":"x"} does not contain declared merge key: name']);
  });

  it('never mutates the target', () => {
    const target = deployment();
    const before = structuredClone(target);
    applyPatch(target, SMP, { spec: { template: { spec: { containers: [{ name: 'web', image: 'x' }, { name: 'sidecar', $patch: 'delete' }] } } }, status: null });
    expect(target).to.deep.equal(before);
  });
});

describe('unsupported patch types', () => {
  it('refuses server-side apply with 415, pointing at client-side kubectl apply', () => {
    const err = apiError(() => applyPatch(deployment(), 'application/apply-patch+yaml', 'apiVersion: apps/v1'));
    expect([err.code, err.reason]).to.deep.equal([415, 'UnsupportedMediaType']);
    expect(err.message).to.contain('server-side apply is not supported by the embedded cluster').and.contain('kubectl apply');
  });

  it('refuses an unknown content type with 415', () => {
    expect(apiError(() => applyPatch(deployment(), 'application/json', {})).code).to.equal(415);
  });
});
