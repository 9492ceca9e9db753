import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { sameOffsetIn } from '../../../../src/core/ipv4.js';
import { containerBindingPodIP, gatePorts } from '../../../../src/localcluster/node/gate-ports.js';

const pod = (spec: Record<string, unknown>, labels: Record<string, string> = { app: 'web' }): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', labels }, spec });

const service = (name: string, selector: Record<string, string> | undefined, ports: unknown[], namespace = 'shop'): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ...(selector ? { selector } : {}), ports } });

describe('gatePorts', () => {
  it('takes declared TCP container ports of every container, init containers included, and skips UDP', () => {
    const p = pod({
      initContainers: [{ name: 'side', ports: [{ containerPort: 9000 }] }],
      containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }],
    });
    expect(gatePorts(p, [])).to.deep.equal([8080, 9000]);
  });

  it('adds numeric probe and hook ports, but not those of probes aimed at another host', () => {
    const p = pod({ containers: [{
      name: 'app', ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } }, livenessProbe: { tcpSocket: { port: 8081 } },
      startupProbe: { httpGet: { port: '8082' } }, lifecycle: { preStop: { httpGet: { host: '10.0.0.1', port: 9999 } } },
    }] });
    expect(gatePorts(p, [])).to.deep.equal([8080, 8081, 8082]);
  });

  it('adds numeric target ports of the Services in its namespace that select it', () => {
    const p = pod({ containers: [{ name: 'app' }] });
    const services = [
      service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 'named' }, { port: 9090 }]),
      service('other', { app: 'db' }, [{ port: 5432 }]),
      service('elsewhere', { app: 'web' }, [{ port: 7000 }], 'other-ns'),
      service('headless-manual', undefined, [{ port: 6000 }]),
    ];
    expect(gatePorts(p, services)).to.deep.equal([8080, 9090]);
  });

  it('finds no port for a pod that declares none', () => {
    expect(gatePorts(pod({ containers: [{ name: 'job', command: ['sleep', '1'] }] }), [])).to.deep.equal([]);
  });
});

describe('containerBindingPodIP', () => {
  it('names the container that sets HOST to status.podIP or $(POD_IP)', () => {
    expect(containerBindingPodIP(pod({ containers: [{ name: 'a' }, { name: 'b', env: [{ name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }] }))).to.equal('b');
    expect(containerBindingPodIP(pod({ containers: [{ name: 'c', env: [{ name: 'HOST', value: '$(POD_IP)' }] }] }))).to.equal('c');
  });

  it('finds none when HOST is left to the kubelet or set to something else', () => {
    expect(containerBindingPodIP(pod({ containers: [{ name: 'a', env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }] }))).to.equal(undefined);
    expect(containerBindingPodIP(pod({ containers: [{ name: 'a', env: [{ name: 'HOST', value: '0.0.0.0' }] }] }))).to.equal(undefined);
  });
});

describe('sameOffsetIn', () => {
  it('maps a pod IP to the same offset in the private block', () => {
    expect(sameOffsetIn('127.10.2.7', '127.11.2.0/24')).to.equal('127.11.2.7');
    expect(sameOffsetIn('127.10.2.7', '127.11.0.0/16')).to.equal('127.11.2.7');
  });

  it('answers null for what is not IPv4', () => {
    expect([sameOffsetIn('fe80::1', '127.11.0.0/16'), sameOffsetIn('127.10.0.1', 'nope')]).to.deep.equal([null, null]);
  });
});
