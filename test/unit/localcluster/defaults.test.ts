import { expect } from 'chai';
import { applyDefaults } from '../../../src/localcluster/api/defaults.js';
import { imageTag } from '../../../src/localcluster/api/pod-defaults.js';
import type { KObject } from '../../../src/localcluster/api/types.js';

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown> = {}): KObject =>
  ({ apiVersion, kind, metadata: { name: 'x', namespace: 'default' }, ...rest });

function defaulted(resourceKey: string, o: KObject): KObject {
  applyDefaults(resourceKey, o);
  return o;
}

describe('pod defaults', () => {
  it('fills the pod-level fields the API server defaults', () => {
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } }));
    expect(pod.spec).to.include({
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler', enableServiceLinks: true,
    });
    expect(pod.spec.securityContext).to.deep.equal({});
  });

  it('fills container defaults, with port protocol TCP', () => {
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } }));
    expect(pod.spec.containers[0]).to.deep.equal({
      name: 'web', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File', resources: {}, ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
  });

  it('pulls :latest and untagged images Always, tagged or digest-pinned ones IfNotPresent', () => {
    const images = ['nginx', 'nginx:latest', 'localhost:5000/nginx', 'nginx:1.25', 'nginx@sha256:abc', 'localhost:5000/nginx:v2'];
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } }));
    expect(pod.spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy))
      .to.deep.equal(['Always', 'Always', 'Always', 'IfNotPresent', 'IfNotPresent', 'IfNotPresent']);
    expect(imageTag('nginx:1.25@sha256:abc')).to.equal('1.25');
  });

  it('fills probe thresholds and the httpGet scheme and path', () => {
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { containers: [{ name: 'web', image: 'a:1', livenessProbe: { httpGet: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 } }] } }));
    const [c] = pod.spec.containers;
    expect(c.livenessProbe).to.deep.equal({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.readinessProbe.periodSeconds).to.equal(2);
  });

  it('keeps what the client set, treating an empty string as unset like Go does', () => {
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { restartPolicy: 'Never', dnsPolicy: '', terminationGracePeriodSeconds: 0, enableServiceLinks: false, containers: [{ name: 'c', image: 'a', imagePullPolicy: 'Never' }] } }));
    expect(pod.spec).to.include({ restartPolicy: 'Never', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 0, enableServiceLinks: false });
    expect(pod.spec.containers[0].imagePullPolicy).to.equal('Never');
  });

  it('defaults init containers and configMap volume modes too', () => {
    const pod = defaulted('pods', obj('v1', 'Pod', { spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'a:1' }], volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }] } }));
    expect(pod.spec.initContainers[0].imagePullPolicy).to.equal('Always');
    expect(pod.spec.volumes[0].configMap.defaultMode).to.equal(420);
  });
});

describe('workload defaults', () => {
  it('defaults a Deployment like apps/v1 and its pod template like a pod', () => {
    const d = defaulted('apps/deployments', obj('apps/v1', 'Deployment', { spec: { selector: { matchLabels: { app: 'w' } }, template: { spec: { containers: [{ name: 'w', image: 'w:1' }] } } } }));
    expect(d.spec).to.include({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(d.spec.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.spec.template.spec).to.include({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(d.spec.template.spec.containers[0].imagePullPolicy).to.equal('IfNotPresent');
  });

  it('keeps replicas 0 and adds no rollingUpdate to a Recreate strategy', () => {
    const d = defaulted('apps/deployments', obj('apps/v1', 'Deployment', { spec: { replicas: 0, strategy: { type: 'Recreate' } } }));
    expect(d.spec.replicas).to.equal(0);
    expect(d.spec.strategy).to.deep.equal({ type: 'Recreate' });
  });

  it('defaults a ReplicaSet to one replica with a defaulted template', () => {
    const rs = defaulted('apps/replicasets', obj('apps/v1', 'ReplicaSet', { spec: { template: { spec: { containers: [{ name: 'w', image: 'w' }] } } } }));
    expect(rs.spec.replicas).to.equal(1);
    expect(rs.spec.template.spec.containers[0].terminationMessagePolicy).to.equal('File');
  });
});

describe('service and namespace defaults', () => {
  it('defaults a Service to ClusterIP with TCP ports targeting themselves', () => {
    const svc = defaulted('services', obj('v1', 'Service', { spec: { selector: { app: 'w' }, ports: [{ port: 80 }, { port: 443, targetPort: 'https', protocol: 'UDP' }] } }));
    expect(svc.spec).to.include({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });
    expect(svc.spec.ports).to.deep.equal([{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 443, targetPort: 'https', protocol: 'UDP' }]);
    expect(svc.spec).not.to.have.property('externalTrafficPolicy');
  });

  it('gives externally reachable Services an externalTrafficPolicy', () => {
    const svc = defaulted('services', obj('v1', 'Service', { spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } }));
    expect(svc.spec.externalTrafficPolicy).to.equal('Cluster');
  });

  it('makes a namespace Active with the kubernetes finalizer and its name label', () => {
    const ns = defaulted('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    expect(ns.spec).to.deep.equal({ finalizers: ['kubernetes'] });
    expect(ns.status).to.deep.equal({ phase: 'Active' });
    expect(ns.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'team-a' });
  });

  it('leaves nodes and events as they are', () => {
    const node = obj('v1', 'Node', { spec: {} });
    const event = obj('v1', 'Event', { reason: 'Started' });
    expect(defaulted('nodes', structuredClone(node))).to.deep.equal(node);
    expect(defaulted('events', structuredClone(event))).to.deep.equal(event);
  });
});
