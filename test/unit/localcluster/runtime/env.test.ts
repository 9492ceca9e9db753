import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { ContainerConfigError, containerEnv, expand, type EnvContext } from '../../../../src/localcluster/runtime/env.js';

describe('expand', () => {
  const vars = { VAR_A: 'A', VAR_B: 'B', EMPTY: '' };
  // cases from Kubernetes' third_party/forked/golang/expansion tests
  const cases: Array<[string, string]> = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['foo$', 'foo$'],
    ['$()', '$()'],
  ];
  for (const [input, output] of cases) {
    it(`expands ${input} to ${output || '""'}`, () => {
      expect(expand(input, vars)).to.equal(output);
    });
  }
});

describe('containerEnv', () => {
  const pod: KObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { team: 'blue' } },
    spec: { serviceAccountName: 'robot', containers: [] },
  };
  const configs: Record<string, Record<string, string>> = { 'ConfigMap/settings': { MODE: 'fast', LEVEL: 'debug', 'bad=name': 'x' }, 'Secret/creds': { PASSWORD: 'hunter2' } };
  const ctx: EnvContext = {
    pod, podIP: '127.77.0.9', hostIP: '127.0.0.1', nodeName: 'node-1',
    base: { POD_IP: '127.77.0.9' },
    lookup: (kind, ns, name) => (ns === 'shop' ? configs[`${kind}/${name}`] : undefined),
  };

  it('reads every supported downward-API field', () => {
    const fields = ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['team']", 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.hostIP'];
    const env = containerEnv({ env: fields.map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })) }, ctx);
    expect(fields.map((_, i) => env[`F${i}`])).to.deep.equal(['web-1', 'shop', 'u-1', 'web', 'blue', 'node-1', 'robot', '127.77.0.9', '127.0.0.1']);
  });

  it('applies envFrom before env, with its prefix, skipping invalid names', () => {
    const env = containerEnv({
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'APP_' }, { secretRef: { name: 'creds' } }],
      env: [{ name: 'APP_MODE', value: 'slow' }, { name: 'DSN', value: 'db://$(PASSWORD)@$(POD_IP)' }],
    }, ctx);
    expect(env).to.deep.equal({ POD_IP: '127.77.0.9', APP_MODE: 'slow', APP_LEVEL: 'debug', PASSWORD: 'hunter2', DSN: 'db://hunter2@127.77.0.9' });
  });

  it('expands only variables defined earlier in the list', () => {
    const env = containerEnv({ env: [{ name: 'A', value: '$(B)' }, { name: 'B', value: 'b' }] }, ctx);
    expect(env.A).to.equal('$(B)');
  });

  it('resolves configMapKeyRef and secretKeyRef, and skips optional missing ones', () => {
    const env = containerEnv({
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
      ],
    }, ctx);
    expect(env).to.deep.include({ MODE: 'fast', PW: 'hunter2' }).and.not.have.property('OPT');
  });

  it('throws a ContainerConfigError worded like the kubelet for a missing ConfigMap or key', () => {
    expect(() => containerEnv({ envFrom: [{ configMapRef: { name: 'absent' } }] }, ctx)).to.throw(ContainerConfigError, 'configmap "absent" not found');
    expect(() => containerEnv({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'TOKEN' } } }] }, ctx))
      .to.throw(ContainerConfigError, "couldn't find key TOKEN in Secret shop/creds");
  });

  it('reads resource limits and requests with their divisor', () => {
    const container = { resources: { limits: { cpu: '1500m', memory: '256Mi' }, requests: { cpu: '250m' } } };
    const env = containerEnv({
      ...container,
      env: [
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      ],
    }, ctx);
    expect(env).to.deep.include({ CPU: '2', MEM_MI: '256', REQ_M: '250' });
  });
});
