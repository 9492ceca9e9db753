import { expect } from 'chai';
import { applyDefaults } from '../../../src/localcluster/api/defaults.js';
import { builtinResources } from '../../../src/localcluster/api/resources.js';
import { ApiError, type KObject } from '../../../src/localcluster/api/types.js';
import { assertValid, validateObject } from '../../../src/localcluster/api/validation.js';

const resource = (key: string) => builtinResources.find((r) => r.key === key)!;
const lines = (key: string, obj: KObject, old?: KObject): string[] => validateObject(key, obj, old).map((c) => `${c.field}: ${c.message}`);

function pod(spec: Record<string, unknown> = {}, name = 'web-1'): KObject {
  const p: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...spec } };
  applyDefaults('pods', p);
  return p;
}

function deployment(spec: Record<string, unknown> = {}): KObject {
  const d: KObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }, ...spec },
  };
  applyDefaults('apps/deployments', d);
  return d;
}

function service(spec: Record<string, unknown>, name = 'web'): KObject {
  const s: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
  applyDefaults('services', s);
  return s;
}

function invalid(fn: () => void): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('metadata validation', () => {
  it('accepts a valid defaulted pod', () => {
    expect(validateObject('pods', pod())).to.deep.equal([]);
  });

  it('rejects a name that is not a DNS subdomain, worded like the API', () => {
    expect(lines('pods', pod({}, 'Web_1'))).to.deep.equal([`metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`]);
  });

  it('requires a name or a generateName', () => {
    const p = pod();
    delete p.metadata.name;
    expect(lines('pods', p)).to.deep.equal(['metadata.name: Required value: name or generateName is required']);
    p.metadata.generateName = 'web-';
    expect(lines('pods', p)).to.deep.equal([]);
  });

  it('holds namespace names to a DNS label and Service names to a DNS-1035 label', () => {
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.a' } };
    expect(lines('namespaces', ns)).to.deep.equal(['metadata.name: Invalid value: "team.a": must not contain dots']);
    expect(lines('services', service({ ports: [{ port: 80 }] }, '1web'))[0]).to.equal(
      "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  });

  it('rejects invalid label keys and values under metadata.labels', () => {
    const p = pod();
    p.metadata.labels = { 'bad key': 'ok', good: 'bad value' };
    const got = lines('pods', p);
    expect(got).to.have.length(2);
    expect(got[0]).to.match(/^metadata\.labels: Invalid value: "bad key": name part must consist of/);
    expect(got[1]).to.match(/^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string/);
  });
});

describe('pod validation', () => {
  it('requires at least one container', () => {
    expect(lines('pods', pod({ containers: [] }))).to.deep.equal(['spec.containers: Required value']);
  });

  it('checks container names, uniqueness and images', () => {
    const got = lines('pods', pod({ containers: [{ name: 'web', image: 'a' }, { name: 'web' }, { name: 'Side_Car', image: 'b' }] }));
    expect(got[0]).to.equal('spec.containers[1].name: Duplicate value: "web"');
    expect(got[1]).to.equal('spec.containers[1].image: Required value');
    expect(got[2]).to.match(/^spec\.containers\[2\]\.name: Invalid value: "Side_Car": a lowercase RFC 1123 label must consist of/);
  });

  it('rejects container ports outside 1-65535', () => {
    expect(lines('pods', pod({ containers: [{ name: 'web', image: 'a', ports: [{ containerPort: 70000 }] }] })))
      .to.deep.equal(['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
  });

  it('requires exactly one handler per probe', () => {
    const got = lines('pods', pod({ containers: [{ name: 'web', image: 'a', livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } }, readinessProbe: { periodSeconds: 5 } }] }));
    expect(got).to.deep.equal([
      'spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    ]);
  });

  it('rejects an unknown restartPolicy listing the supported ones', () => {
    expect(lines('pods', pod({ restartPolicy: 'Sometimes' })))
      .to.deep.equal(['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
  });
});

describe('pod update validation', () => {
  it('allows changing container images', () => {
    const old = pod();
    const next = structuredClone(old);
    next.spec.containers[0].image = 'nginx:1.26';
    expect(validateObject('pods', next, old)).to.deep.equal([]);
  });

  it('forbids changing other spec fields, naming the updatable ones', () => {
    const old = pod();
    const next = structuredClone(old);
    next.spec.containers[0].env = [{ name: 'A', value: '1' }];
    const [c] = validateObject('pods', next, old);
    expect(c!.field).to.equal('spec');
    expect(c!.reason).to.equal('FieldValueForbidden');
    expect(c!.message).to.match(/^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\)/);
    expect(c!.message).to.contain('+ spec.containers[0].env: [{"name":"A","value":"1"}]');
  });

  it('lets an unscheduled pod be bound by setting spec.nodeName once', () => {
    const old = pod();
    const bound = structuredClone(old);
    bound.spec.nodeName = 'node-1';
    expect(validateObject('pods', bound, old)).to.deep.equal([]);
    const moved = structuredClone(bound);
    moved.spec.nodeName = 'node-2';
    expect(validateObject('pods', moved, bound)).to.have.length(1);
  });

  it('allows adding tolerations but not removing them', () => {
    const old = pod({ tolerations: [{ key: 'a', operator: 'Exists' }] });
    const added = structuredClone(old);
    added.spec.tolerations.push({ key: 'b', operator: 'Exists' });
    expect(validateObject('pods', added, old)).to.deep.equal([]);
    expect(validateObject('pods', old, added)).to.have.length(1);
  });

  it('only lets activeDeadlineSeconds shrink', () => {
    const old = pod({ activeDeadlineSeconds: 60 });
    const longer = structuredClone(old);
    longer.spec.activeDeadlineSeconds = 120;
    expect(lines('pods', longer, old)).to.deep.equal(['spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value']);
  });
});

describe('deployment and replica set validation', () => {
  it('accepts a valid defaulted deployment', () => {
    expect(validateObject('apps/deployments', deployment())).to.deep.equal([]);
  });

  it('throws 422 naming Deployment.apps when the selector does not match the template labels', () => {
    const d = deployment({ selector: { matchLabels: { app: 'other' } } });
    const err = invalid(() => assertValid(resource('apps/deployments'), d));
    expect([err.code, err.reason]).to.deep.equal([422, 'Invalid']);
    expect(err.message).to.equal('Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`');
    expect(err.details).to.deep.include({ name: 'web', group: 'apps', kind: 'Deployment' });
    expect(err.details!.causes).to.deep.equal([{ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`' }]);
  });

  it('reports a missing selector together with the template mismatch, in brackets', () => {
    const d = deployment();
    delete d.spec.selector;
    expect(invalid(() => assertValid(resource('apps/deployments'), d)).message).to.equal(
      'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]');
  });

  it('requires restartPolicy Always in the template and non-negative replicas', () => {
    const d = deployment({ replicas: -1 });
    d.spec.template.spec.restartPolicy = 'Never';
    expect(lines('apps/deployments', d)).to.deep.equal([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('validates the strategy type and forbids maxSurge and maxUnavailable both 0', () => {
    expect(lines('apps/deployments', deployment({ strategy: { type: 'BlueGreen' } })))
      .to.deep.equal(['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"']);
    expect(lines('apps/deployments', deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } })))
      .to.deep.equal(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0']);
  });

  it('validates the pod template under spec.template.spec', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].image = '';
    expect(lines('apps/deployments', d)).to.deep.equal(['spec.template.spec.containers[0].image: Required value']);
  });

  it('keeps the selector immutable on update', () => {
    const old = deployment();
    const next = deployment({ selector: { matchLabels: { app: 'web2' } } });
    next.spec.template.metadata.labels = { app: 'web2' };
    expect(lines('apps/deployments', next, old)).to.deep.equal([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('checks replica sets like deployments', () => {
    const rs: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc' }, spec: { selector: {}, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] } } } };
    applyDefaults('apps/replicasets', rs);
    expect(invalid(() => assertValid(resource('apps/replicasets'), rs)).message).to.match(/^ReplicaSet\.apps "web-abc" is invalid: spec\.selector: Invalid value: v1\.LabelSelector\{.*\}: empty selector is invalid for deployment$/);
  });
});

describe('service validation', () => {
  it('accepts a defaulted single-port service', () => {
    expect(validateObject('services', service({ selector: { app: 'web' }, ports: [{ port: 80 }] }))).to.deep.equal([]);
  });

  it('requires port names when there are several, and unique ones', () => {
    expect(lines('services', service({ ports: [{ port: 80 }, { port: 81, name: 'a' }, { port: 82, name: 'a' }] }))).to.deep.equal([
      'spec.ports[0].name: Required value',
      'spec.ports[2].name: Duplicate value: "a"',
    ]);
  });

  it('checks port range, type and nodePort range', () => {
    expect(lines('services', service({ type: 'Magic', ports: [{ port: 0 }] }))).to.deep.equal([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      // targetPort defaults to port, so it is out of range too, as on a real server
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(lines('services', service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })))
      .to.deep.equal(['spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767']);
    expect(lines('services', service({ ports: [{ port: 80, nodePort: 30080 }] })))
      .to.deep.equal(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });

  it('keeps an allocated clusterIP immutable, but accepts an update that omits it', () => {
    const old = service({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
    expect(lines('services', service({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] }), old))
      .to.deep.equal(['spec.clusterIP: Invalid value: "10.96.0.11": field is immutable']);
    expect(validateObject('services', service({ ports: [{ port: 80 }] }), old)).to.deep.equal([]);
  });
});

describe('config map validation', () => {
  it('rejects data keys that are not valid file names', () => {
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'ok.conf': 'x', 'bad key': 'y', '..hidden': 'z' } };
    const got = lines('configmaps', cm);
    expect(got[0]).to.match(/^data\[bad key\]: Invalid value: "bad key": must consist of alphanumeric characters, '-', '_' or '.'/);
    expect(got[1]).to.equal('data[..hidden]: Invalid value: "..hidden": must not start with \'..\'');
  });

  it('names the core kind without a group in the message', () => {
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'a b': '1' } };
    const err = invalid(() => assertValid(resource('configmaps'), cm));
    expect(err.message).to.match(/^ConfigMap "cfg" is invalid: data\[a b\]: Invalid value/);
    expect(err.details!.group).to.equal('');
  });

  it('does not throw for a valid object', () => {
    expect(() => assertValid(resource('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } })).not.to.throw();
  });
});
