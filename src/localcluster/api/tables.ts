/**
 * `meta.k8s.io/v1` Tables as the real server-side printers build them (`pkg/printers/internalversion`), so
 * `kubectl get` shows the columns and cells users know. The server always prints the wide columns (priority 1);
 * kubectl hides them unless `-o wide`.
 */
import type { ResourceType } from './resources.js';
import { formatLabelSelector, labelSelectorFromSpec, labelSelectorString } from '../../kube/index.js';
import { leaseCells, leaseColumns } from './lease.js';
import { pdbCells, pdbColumns } from './pdb-table.js';
import { age, humanDuration } from './table-time.js';
import type { KObject, ObjectMeta, Table, TableColumn, TableRow } from './types.js';
import { workloadTables } from './workload-tables.js';

type Obj = Record<string, any>;

export interface TableOptions {
  /** Wall-clock time the ages are computed against. */
  nowMs: number;
  /** What each row carries: kubectl's default is `Metadata`. */
  includeObject?: 'None' | 'Metadata' | 'Object';
  resourceVersion?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface PartialObjectMetadataList {
  kind: 'PartialObjectMetadataList';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  items: PartialObjectMetadata[];
}

// ---- columns ----

const col = (name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn => ({ name, type, format, description, priority });

const doc = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  created: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
  nodeAddresses: 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses',
};
const nameCol = col('Name', 'string', doc.name, 0, 'name');
const ageCol = col('Age', 'string', doc.created);

const columns: Record<string, TableColumn[]> = {
  pods: [nameCol,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol,
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1)],
  nodes: [nameCol, col('Status', 'string', 'The status of the node'), col('Roles', 'string', 'The roles of the node'), ageCol,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', doc.nodeAddresses, 1), col('External-IP', 'string', doc.nodeAddresses, 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1)],
  namespaces: [nameCol, col('Status', 'string', 'The status of the namespace'), ageCol],
  'apps/deployments': [nameCol, col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol, col('Containers', 'string', doc.containers, 1), col('Images', 'string', doc.images, 1),
    col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1)],
  'apps/replicasets': [nameCol,
    col('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    col('Ready', 'integer', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.'),
    ageCol, col('Containers', 'string', doc.containers, 1), col('Images', 'string', doc.images, 1),
    col('Selector', 'string', "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1)],
  services: [nameCol,
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies'),
    ageCol,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/', 1)],
  endpoints: [nameCol, col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share.'), ageCol],
  'discovery.k8s.io/endpointslices': [nameCol,
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.'), ageCol],
  configmaps: [nameCol, col('Data', 'string', "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'."), ageCol],
  events: [col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    col('Name', 'string', doc.name, 1, 'name')],
};
columns['events.k8s.io/events'] = columns.events!;
columns['policy/poddisruptionbudgets'] = [nameCol, ...pdbColumns, ageCol];
columns['coordination.k8s.io/leases'] = [nameCol, ...leaseColumns, ageCol];
columns['networking.k8s.io/networkpolicies'] = [nameCol,
  col('Pod-Selector', 'string', 'Select which pods this network policy applies to', 0), ageCol];

// ---- pods ----

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((e): e is Obj => typeof e === 'object' && e !== null) : []);
const conditionTrue = (status: Obj, type: string): boolean => list(status.conditions).some((c) => c.type === type && c.status === 'True');

interface PodTally { restarts: number; ready: number; lastRestartMs: number; reason: string; initializing: boolean }

const finishedMs = (cs: Obj): number => Date.parse(cs.lastState?.terminated?.finishedAt ?? '') || 0;
const exitReason = (t: Obj, prefix: string): string => t.reason || (t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode ?? 0}`);

/** The init container walk of printPod: the first init container that has not succeeded names the status. */
function tallyInitContainers(pod: Obj, tally: PodTally): { restartable: number; restartableLastMs: number } {
  const restartableNames = new Set(list(pod.spec?.initContainers).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const out = { restartable: 0, restartableLastMs: 0 };
  const statuses = list(pod.status?.initContainerStatuses);
  for (const [i, cs] of statuses.entries()) {
    tally.restarts += cs.restartCount ?? 0;
    tally.lastRestartMs = Math.max(tally.lastRestartMs, finishedMs(cs));
    const restartable = restartableNames.has(cs.name);
    if (restartable) { out.restartable += cs.restartCount ?? 0; out.restartableLastMs = Math.max(out.restartableLastMs, finishedMs(cs)); }
    const { terminated, waiting } = cs.state ?? {};
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (restartable && cs.started === true) { if (cs.ready) tally.ready++; continue; }
    tally.initializing = true;
    if (terminated) tally.reason = `Init:${exitReason(terminated, '')}`;
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') tally.reason = `Init:${waiting.reason}`;
    else tally.reason = `Init:${i}/${list(pod.spec?.initContainers).length}`;
    break;
  }
  return out;
}

/** The app container walk of printPod, last container first, so the first container's state wins. */
function tallyContainers(pod: Obj, tally: PodTally): void {
  let hasRunning = false;
  for (const cs of list(pod.status?.containerStatuses).reverse()) {
    tally.restarts += cs.restartCount ?? 0;
    tally.lastRestartMs = Math.max(tally.lastRestartMs, finishedMs(cs));
    const { waiting, terminated, running } = cs.state ?? {};
    if (waiting?.reason) tally.reason = waiting.reason;
    else if (terminated) tally.reason = exitReason(terminated, '');
    else if (cs.ready && running) { hasRunning = true; tally.ready++; }
  }
  // A pod with one container still running after another completed is not done yet.
  if (tally.reason === 'Completed' && hasRunning) tally.reason = conditionTrue(pod.status ?? {}, 'Ready') ? 'Running' : 'NotReady';
}

function podCells(pod: Obj, nowMs: number): unknown[] {
  const status: Obj = pod.status ?? {};
  const tally: PodTally = { restarts: 0, ready: 0, lastRestartMs: 0, reason: status.reason || status.phase || '', initializing: false };
  if (list(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) tally.reason = 'SchedulingGated';
  const total = list(pod.spec?.containers).length + list(pod.spec?.initContainers).filter((c) => c.restartPolicy === 'Always').length;
  const init = tallyInitContainers(pod, tally);
  if (!tally.initializing || conditionTrue(status, 'Initialized')) {
    tally.restarts = init.restartable;
    tally.lastRestartMs = init.restartableLastMs;
    tallyContainers(pod, tally);
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') tally.reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') tally.reason = 'Terminating';
  const restarts = tally.restarts !== 0 && tally.lastRestartMs > 0 ? `${tally.restarts} (${humanDuration(nowMs - tally.lastRestartMs)} ago)` : String(tally.restarts);
  const gates = list(pod.spec?.readinessGates);
  const gatesTrue = gates.filter((g) => list(status.conditions).find((c) => c.type === g.conditionType)?.status === 'True').length;
  return [pod.metadata?.name, `${tally.ready}/${total}`, tally.reason, restarts, age(pod.metadata?.creationTimestamp, nowMs),
    list(status.podIPs)[0]?.ip || status.podIP || '<none>', pod.spec?.nodeName || '<none>', status.nominatedNodeName || '<none>',
    gates.length ? `${gatesTrue}/${gates.length}` : '<none>'];
}

// ---- other kinds ----

function nodeCells(node: Obj, nowMs: number): unknown[] {
  const ready = list(node.status?.conditions).find((c) => c.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const info: Obj = node.status?.nodeInfo ?? {};
  const address = (type: string): string => list(node.status?.addresses).find((a) => a.type === type)?.address ?? '<none>';
  return [node.metadata?.name, status.join(','), [...roles].sort().join(',') || '<none>', age(node.metadata?.creationTimestamp, nowMs),
    info.kubeletVersion ?? '', address('InternalIP'), address('ExternalIP'),
    info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>'];
}

const containerCells = (template: Obj | undefined): string[] => {
  const containers = list(template?.spec?.containers);
  return [containers.map((c) => c.name ?? '').join(','), containers.map((c) => c.image ?? '').join(',')];
};

function deploymentCells(d: Obj, nowMs: number): unknown[] {
  let selector: string;
  try {
    selector = labelSelectorString(labelSelectorFromSpec(d.spec?.selector));
  } catch {
    selector = '<invalid>';
  }
  return [d.metadata?.name, `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, d.status?.updatedReplicas ?? 0,
    d.status?.availableReplicas ?? 0, age(d.metadata?.creationTimestamp, nowMs), ...containerCells(d.spec?.template), selector];
}

const replicaSetCells = (rs: Obj, nowMs: number): unknown[] => [rs.metadata?.name, rs.spec?.replicas ?? 1, rs.status?.replicas ?? 0,
  rs.status?.readyReplicas ?? 0, age(rs.metadata?.creationTimestamp, nowMs), ...containerCells(rs.spec?.template), formatLabelSelector(rs.spec?.selector)];

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when there are none. */
const formatLabels = (map: Obj | undefined): string => Object.keys(map ?? {}).sort().map((k) => `${k}=${map![k]}`).join(',') || '<none>';

function serviceExternalIP(spec: Obj, status: Obj): string {
  const external: string[] = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  if (spec.type === 'ExternalName') return spec.externalName ?? '';
  if (spec.type !== 'LoadBalancer') return external.length ? external.join(',') : '<none>';
  const ingress = [...new Set(list(status.loadBalancer?.ingress).map((i) => i.ip || i.hostname).filter(Boolean))].sort();
  const all = [...ingress, ...external];
  return all.length ? all.join(',') : '<pending>';
}

function serviceCells(svc: Obj, nowMs: number): unknown[] {
  const spec: Obj = svc.spec ?? {};
  const ports = list(spec.ports).map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  const clusterIP = (Array.isArray(spec.clusterIPs) && spec.clusterIPs[0]) || spec.clusterIP || '<none>';
  return [svc.metadata?.name, spec.type ?? '', clusterIP, serviceExternalIP(spec, svc.status ?? {}), ports || '<none>',
    age(svc.metadata?.creationTimestamp, nowMs), formatLabels(spec.selector)];
}

const hostPort = (ip: string, port: unknown): string => (ip.includes(':') ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`);

/** At most three entries, then ` + N more...`, as the real printers shorten lists. */
function listWithMore(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function endpointsCells(ep: Obj, nowMs: number): unknown[] {
  const entries = list(ep.subsets).flatMap((ss) => {
    const addresses = list(ss.addresses).map((a) => String(a.ip ?? ''));
    // Headless services may have addresses without ports.
    return list(ss.ports).length === 0 ? addresses : list(ss.ports).flatMap((p) => addresses.map((ip) => hostPort(ip, p.port)));
  });
  return [ep.metadata?.name, list(ep.subsets).length === 0 ? '<none>' : listWithMore(entries, ''), age(ep.metadata?.creationTimestamp, nowMs)];
}

function endpointSliceCells(s: Obj, nowMs: number): unknown[] {
  const ports = list(s.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : p.name ?? '*'));
  const addresses = list(s.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []));
  return [s.metadata?.name, s.addressType ?? '', listWithMore(ports, '<unset>'), listWithMore(addresses, '<unset>'), age(s.metadata?.creationTimestamp, nowMs)];
}

/** events.k8s.io/v1 Events are the same objects under other field names; print them as core Events. */
function asCoreEvent(e: Obj): Obj {
  if (!e.regarding && !e.note && !e.deprecatedSource) return e;
  return {
    ...e, involvedObject: e.regarding ?? {}, message: e.note, source: e.deprecatedSource ?? {}, count: e.deprecatedCount,
    firstTimestamp: e.deprecatedFirstTimestamp, lastTimestamp: e.deprecatedLastTimestamp,
  };
}

function eventCells(raw: Obj, nowMs: number): unknown[] {
  const e = asCoreEvent(raw);
  const first = e.firstTimestamp ? age(e.firstTimestamp, nowMs) : age(e.eventTime, nowMs);
  let last = e.lastTimestamp ? age(e.lastTimestamp, nowMs) : first;
  let count = e.count ?? 0;
  if (e.series) { last = age(e.series.lastObservedTime, nowMs); count = e.series.count ?? 0; } else if (count === 0) count = 1;
  const kind = String(e.involvedObject?.kind ?? '').toLowerCase();
  const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
  const component = e.source?.component || e.reportingController || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', instance ? `${component}, ${instance}` : component,
    String(e.message ?? '').trim(), first, count, e.metadata?.name];
}

const printers: Record<string, (obj: Obj, nowMs: number) => unknown[]> = {
  pods: podCells, nodes: nodeCells, 'apps/deployments': deploymentCells, 'apps/replicasets': replicaSetCells,
  services: serviceCells, endpoints: endpointsCells, 'discovery.k8s.io/endpointslices': endpointSliceCells,
  events: eventCells, 'events.k8s.io/events': eventCells,
  'policy/poddisruptionbudgets': (b, now) => [b.metadata?.name, ...pdbCells(b), age(b.metadata?.creationTimestamp, now)],
  'coordination.k8s.io/leases': (l, now) => [l.metadata?.name, ...leaseCells(l), age(l.metadata?.creationTimestamp, now)],
  namespaces: (ns, now) => [ns.metadata?.name, ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)],
  'networking.k8s.io/networkpolicies': (np, now) => [np.metadata?.name, formatLabelSelector(np.spec?.podSelector), age(np.metadata?.creationTimestamp, now)],
  configmaps: (cm, now) => [cm.metadata?.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm.metadata?.creationTimestamp, now)],
};

const defaultCells = (obj: Obj, nowMs: number): unknown[] => [obj.metadata?.name, age(obj.metadata?.creationTimestamp, nowMs)];

export function toPartialObjectMetadata(obj: KObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** The body of a list asked for `as=PartialObjectMetadataList` (metadata-only informers). */
export function toPartialObjectMetadataList(objects: KObject[], resourceVersion?: string): PartialObjectMetadataList {
  return {
    kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion === undefined ? {} : { resourceVersion }, items: objects.map(toPartialObjectMetadata),
  };
}

/** The Table the server answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` with. */
export function toTable(resource: ResourceType, objects: KObject[], opts: TableOptions): Table {
  const print = printers[resource.key] ?? workloadTables[resource.key]?.cells ?? defaultCells;
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: print(obj, opts.nowMs) };
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = toPartialObjectMetadata(obj);
    return row;
  });
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion },
    columnDefinitions: columns[resource.key] ?? workloadTables[resource.key]?.columns ?? [nameCol, ageCol], rows,
  };
}
