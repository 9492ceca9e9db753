import { expect } from 'chai';
import { builtinResources, type ResourceType } from '../../../src/localcluster/api/resources.js';
import { toPartialObjectMetadataList, toTable } from '../../../src/localcluster/api/tables.js';
import { age, humanDuration } from '../../../src/localcluster/api/table-time.js';
import type { KObject } from '../../../src/localcluster/api/types.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();
const resource = (key: string): ResourceType => builtinResources.find((r) => r.key === key)!;
const cells = (key: string, obj: Partial<KObject>): unknown[] => toTable(resource(key), [obj as KObject], { nowMs: NOW }).rows[0]!.cells;
const names = (key: string): string[] => toTable(resource(key), [], { nowMs: NOW }).columnDefinitions.map((c) => `${c.name}${c.priority ? '*' : ''}`);

describe('age formatting', () => {
  it('formats durations like apimachinery HumanDuration', () => {
    const cases: [number, string][] = [
      [0, '0s'], [5, '5s'], [119, '119s'], [150, '2m30s'], [180, '3m'], [600, '10m'], [179 * 60, '179m'],
      [3 * 3600, '3h'], [3 * 3600 + 20 * 60, '3h20m'], [8 * 3600 + 30 * 60, '8h'], [47 * 3600, '47h'],
      [2 * 86400, '2d'], [2 * 86400 + 5 * 3600, '2d5h'], [8 * 86400, '8d'], [400 * 86400, '400d'],
      [730 * 86400, '2y'], [800 * 86400, '2y70d'], [9 * 365 * 86400, '9y'],
    ];
    for (const [seconds, text] of cases) expect(humanDuration(seconds * 1000), `${seconds}s`).to.equal(text);
  });

  it('tolerates a second of clock skew and marks more as invalid', () => {
    expect(humanDuration(-1500)).to.equal('0s');
    expect(humanDuration(-3000)).to.equal('<invalid>');
  });

  it('prints <unknown> for a missing timestamp', () => {
    expect(age(undefined, NOW)).to.equal('<unknown>');
    expect(age(ago(90), NOW)).to.equal('90s');
  });
});

describe('pod table', () => {
  const base = (status: Record<string, unknown>, extra: Record<string, unknown> = {}): Partial<KObject> => ({
    metadata: { name: 'web-1', creationTimestamp: ago(300), ...extra },
    spec: { containers: [{ name: 'web' }, { name: 'sidecar' }], nodeName: 'node-1' }, status,
  });
  const running = (name: string, ready = true): Record<string, unknown> => ({ name, ready, restartCount: 0, state: { running: { startedAt: ago(200) } } });

  it('has the server printer columns, wide ones at priority 1', () => {
    expect(names('pods')).to.deep.equal(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
    expect(toTable(resource('pods'), [], { nowMs: NOW }).columnDefinitions[0]).to.include({ type: 'string', format: 'name', priority: 0 });
  });

  it('prints a running pod', () => {
    expect(cells('pods', base({ phase: 'Running', podIP: '10.0.0.5', containerStatuses: [running('web'), running('sidecar')] })))
      .to.deep.equal(['web-1', '2/2', 'Running', '0', '5m', '10.0.0.5', 'node-1', '<none>', '<none>']);
  });

  it('prints CrashLoopBackOff with restarts and when the last one happened', () => {
    const crashing = { name: 'web', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(120) } } };
    const row = cells('pods', base({ phase: 'Running', containerStatuses: [crashing, running('sidecar')] }));
    expect(row.slice(1, 4)).to.deep.equal(['1/2', 'CrashLoopBackOff', '5 (2m ago)']);
  });

  it('prints Terminating once a deletion timestamp is set, but not for a finished pod', () => {
    expect(cells('pods', base({ phase: 'Running', containerStatuses: [running('web'), running('sidecar')] }, { deletionTimestamp: ago(1) }))[2]).to.equal('Terminating');
    expect(cells('pods', base({ phase: 'Succeeded' }, { deletionTimestamp: ago(1) }))[2]).to.equal('Succeeded');
  });

  it('prints Completed and exit codes of terminated containers', () => {
    const done = (name: string, t: Record<string, unknown>) => ({ name, ready: false, restartCount: 0, state: { terminated: t } });
    expect(cells('pods', base({ phase: 'Succeeded', containerStatuses: [done('web', { exitCode: 0, reason: 'Completed' }), done('sidecar', { exitCode: 0, reason: 'Completed' })] }))[2]).to.equal('Completed');
    expect(cells('pods', base({ phase: 'Failed', containerStatuses: [done('web', { exitCode: 3 }), running('sidecar')] }))[2]).to.equal('ExitCode:3');
  });

  it('prints NotReady when one container completed while another still runs without a Ready pod', () => {
    const completed = { name: 'web', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    expect(cells('pods', base({ phase: 'Running', containerStatuses: [completed, running('sidecar')] }))[2]).to.equal('NotReady');
  });

  it('prints init container progress and failures', () => {
    const pod = (initStatuses: unknown[]): Partial<KObject> => ({
      metadata: { name: 'p', creationTimestamp: ago(10) },
      spec: { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'web' }] },
      status: { phase: 'Pending', initContainerStatuses: initStatuses, containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] },
    });
    const doneOk = { name: 'a', restartCount: 0, state: { terminated: { exitCode: 0 } } };
    expect(cells('pods', pod([doneOk, { name: 'b', restartCount: 0, state: { running: {} } }]))[2]).to.equal('Init:1/2');
    expect(cells('pods', pod([doneOk, { name: 'b', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }])).slice(2, 4)).to.deep.equal(['Init:CrashLoopBackOff', '2']);
    expect(cells('pods', pod([{ name: 'a', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }]))[2]).to.equal('Init:Error');
  });

  it('counts readiness gates that are True', () => {
    const row = cells('pods', { metadata: { name: 'p' }, spec: { containers: [], readinessGates: [{ conditionType: 'x' }, { conditionType: 'y' }] }, status: { phase: 'Pending', conditions: [{ type: 'x', status: 'True' }] } });
    expect(row.slice(3)).to.deep.equal(['0', '<unknown>', '<none>', '<none>', '<none>', '1/2']);
  });
});

describe('node table', () => {
  const node = (ready: string | undefined, extra: Record<string, unknown> = {}): Partial<KObject> => ({
    metadata: { name: 'n1', creationTimestamp: ago(3 * 86400), labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } },
    spec: extra,
    status: {
      conditions: ready ? [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }] : [],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Linux', kernelVersion: '6.1', containerRuntimeVersion: 'crt://0.1' },
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n1' }],
    },
  });

  it('prints status, sorted roles, version and the wide columns', () => {
    expect(names('nodes')).to.deep.equal(['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
    expect(cells('nodes', node('True'))).to.deep.equal(['n1', 'Ready', 'control-plane,worker', '3d', 'v1.32.0', '127.0.0.1', '<none>', 'Linux', '6.1', 'crt://0.1']);
  });

  it('prints NotReady, Unknown and SchedulingDisabled', () => {
    expect(cells('nodes', node('False'))[1]).to.equal('NotReady');
    expect(cells('nodes', node(undefined))[1]).to.equal('Unknown');
    expect(cells('nodes', node('True', { unschedulable: true }))[1]).to.equal('Ready,SchedulingDisabled');
    expect(cells('nodes', { metadata: { name: 'n' } })[2]).to.equal('<none>');
  });
});

describe('workload tables', () => {
  const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'log', image: 'fluent:2' }] } };

  it('prints deployments as ready/desired with wide containers, images and selector', () => {
    expect(names('apps/deployments')).to.deep.equal(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const d = { metadata: { name: 'web', creationTimestamp: ago(7200) }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(cells('apps/deployments', d)).to.deep.equal(['web', '2/3', 3, 2, '120m', 'web,log', 'nginx:1.25,fluent:2', 'app=web']);
  });

  it('prints replica sets with desired, current and ready counts', () => {
    const rs = { metadata: { name: 'web-5d8f', creationTimestamp: ago(60) }, spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d8f' } }, template }, status: { replicas: 2 } };
    expect(cells('apps/replicasets', rs)).to.deep.equal(['web-5d8f', 2, 2, 0, '60s', 'web,log', 'nginx:1.25,fluent:2', 'app=web,pod-template-hash=5d8f']);
  });
});

describe('service and endpoint tables', () => {
  it('prints ClusterIP and NodePort services', () => {
    expect(names('services')).to.deep.equal(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    const svc = (spec: Record<string, unknown>): Partial<KObject> => ({ metadata: { name: 'web', creationTimestamp: ago(30) }, spec });
    expect(cells('services', svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { tier: 'a', app: 'web' } })))
      .to.deep.equal(['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '30s', 'app=web,tier=a']);
    expect(cells('services', svc({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] })).slice(2, 5))
      .to.deep.equal(['10.96.0.11', '<none>', '80:30080/TCP']);
    expect(cells('services', svc({ type: 'LoadBalancer', ports: [] })).slice(2, 5)).to.deep.equal(['<none>', '<pending>', '<none>']);
  });

  it('prints at most three endpoints, then how many more', () => {
    const ep = { metadata: { name: 'web', creationTimestamp: ago(30) }, subsets: [{ addresses: ['127.10.0.3', '127.10.0.4', '127.10.0.5', '127.10.0.6'].map((ip) => ({ ip })), ports: [{ port: 8080 }] }] };
    expect(cells('endpoints', ep)).to.deep.equal(['web', '127.10.0.3:8080,127.10.0.4:8080,127.10.0.5:8080 + 1 more...', '30s']);
    expect(cells('endpoints', { metadata: { name: 'none' } })[1]).to.equal('<none>');
  });

  it('prints endpoint slices with their ports and addresses', () => {
    expect(names('discovery.k8s.io/endpointslices')).to.deep.equal(['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    const slice = { metadata: { name: 'web-abc', creationTimestamp: ago(30) }, addressType: 'IPv4', ports: [{ port: 8080 }, { name: 'metrics' }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] };
    expect(cells('discovery.k8s.io/endpointslices', slice)).to.deep.equal(['web-abc', 'IPv4', '8080,metrics', '10.0.0.1,10.0.0.2', '30s']);
    expect(cells('discovery.k8s.io/endpointslices', { metadata: { name: 'e' }, addressType: 'IPv4' }).slice(2, 4)).to.deep.equal(['<unset>', '<unset>']);
  });
});

describe('event, namespace, config map and default tables', () => {
  it('prints core events with the real columns and priorities', () => {
    expect(names('events')).to.deep.equal(['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    const e = { metadata: { name: 'web-1.17a' }, involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' }, reason: 'BackOff', type: 'Warning', message: ' Back-off restarting \n', source: { component: 'kubelet', host: 'n1' }, firstTimestamp: ago(600), lastTimestamp: ago(30), count: 12 };
    expect(cells('events', e)).to.deep.equal(['30s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{web}', 'kubelet, n1', 'Back-off restarting', '10m', 12, 'web-1.17a']);
  });

  it('prints an events.k8s.io event like the core event it is', () => {
    const e = { metadata: { name: 'e1' }, regarding: { kind: 'Deployment', name: 'web' }, reason: 'ScalingReplicaSet', type: 'Normal', note: 'Scaled up', reportingController: 'deployment-controller', eventTime: ago(5) };
    // Built here: the registry may or may not serve events.k8s.io, but the printer is ready for it.
    const eventsV1: ResourceType = { ...resource('events'), key: 'events.k8s.io/events', group: 'events.k8s.io' };
    expect(toTable(eventsV1, [e as unknown as KObject], { nowMs: NOW }).rows[0]!.cells).to.deep.equal(['5s', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up', '5s', 1, 'e1']);
  });

  it('prints namespaces and config maps', () => {
    expect(cells('namespaces', { metadata: { name: 'default', creationTimestamp: ago(86400) }, status: { phase: 'Active' } })).to.deep.equal(['default', 'Active', '24h']);
    expect(cells('configmaps', { metadata: { name: 'cfg', creationTimestamp: ago(5) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).to.deep.equal(['cfg', 3, '5s']);
  });

  it('prints name and age for a resource without its own printer', () => {
    const custom: ResourceType = { ...resource('configmaps'), key: 'example.com/widgets', group: 'example.com', kind: 'Widget' };
    const table = toTable(custom, [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', creationTimestamp: ago(45) } }], { nowMs: NOW });
    expect(table.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Age']);
    expect(table.rows[0]!.cells).to.deep.equal(['w', '45s']);
  });
});

describe('table rows and metadata lists', () => {
  const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', resourceVersion: '7' }, data: {} };

  it('carries PartialObjectMetadata rows by default, as kubectl asks', () => {
    const table = toTable(resource('configmaps'), [cm], { nowMs: NOW, resourceVersion: '42' });
    expect(table).to.include({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.metadata).to.deep.equal({ resourceVersion: '42' });
    expect(table.rows[0]!.object).to.deep.equal({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata });
  });

  it('carries the whole object or none as includeObject says', () => {
    expect(toTable(resource('configmaps'), [cm], { nowMs: NOW, includeObject: 'Object' }).rows[0]!.object).to.equal(cm);
    expect(toTable(resource('configmaps'), [cm], { nowMs: NOW, includeObject: 'None' }).rows[0]).not.to.have.property('object');
  });

  it('lists objects as PartialObjectMetadataList', () => {
    expect(toPartialObjectMetadataList([cm], '42')).to.deep.equal({
      kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42' },
      items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata }],
    });
  });
});
