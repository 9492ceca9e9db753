/**
 * The JSON of `metrics.k8s.io/v1beta1` as metrics-server serves it (k8s.io/metrics types): NodeMetrics and
 * PodMetrics with `timestamp`, `window` and usage quantities in their canonical form, and the discovery
 * documents of the group.
 */

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_GROUP_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** One container's usage over a window. */
export interface ContainerMetricsSample {
  name: string;
  cpuNanocores: number;
  memoryBytes: number;
}

/** A pod's usage: the window ends at `timestampMs` (wall clock). */
export interface PodMetricsSample {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  labels: Record<string, string>;
  timestampMs: number;
  windowMs: number;
  containers: ContainerMetricsSample[];
}

export interface NodeMetricsSample {
  name: string;
  timestampMs: number;
  windowMs: number;
  cpuNanocores: number;
  memoryBytes: number;
}

const decimalSuffixes = ['n', 'u', 'm', ''];
const binarySuffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Nanocores as resource.Quantity prints them canonically (`1500u`, `20m`, `2`): the largest suffix with an integer mantissa. */
export function cpuQuantity(nanocores: number): string {
  let n = Math.max(0, Math.round(nanocores));
  if (n === 0) return '0';
  let i = 0;
  while (i < decimalSuffixes.length - 1 && n % 1000 === 0) {
    n /= 1000;
    i++;
  }
  return `${n}${decimalSuffixes[i]}`;
}

/** Bytes as a binary-SI resource.Quantity prints them canonically (`5308Ki`, `12Mi`, `1000`). */
export function memoryQuantity(bytes: number): string {
  let n = Math.max(0, Math.round(bytes));
  if (n === 0) return '0';
  let i = 0;
  while (i < binarySuffixes.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n}${binarySuffixes[i]}`;
}

/** A whole number of milliseconds as Go's time.Duration prints it (metav1.Duration's JSON): `500ms`, `1.5s`, `1m5s`. */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = ((total % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

/** metav1.Time: RFC 3339 in whole seconds, UTC. */
export function metaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function usage(cpuNanocores: number, memoryBytes: number): { cpu: string; memory: string } {
  return { cpu: cpuQuantity(cpuNanocores), memory: memoryQuantity(memoryBytes) };
}

/** A PodMetrics as an item of a list (no kind), or whole (`kind: true`) for a get. */
export function podMetrics(s: PodMetricsSample, nowMs: number, kind = false): Record<string, unknown> {
  return {
    ...(kind ? { kind: 'PodMetrics', apiVersion: METRICS_GROUP_VERSION } : {}),
    metadata: { name: s.name, namespace: s.namespace, creationTimestamp: metaTime(nowMs), ...(Object.keys(s.labels).length ? { labels: s.labels } : {}) },
    timestamp: metaTime(s.timestampMs),
    window: goDuration(s.windowMs),
    containers: s.containers.map((c) => ({ name: c.name, usage: usage(c.cpuNanocores, c.memoryBytes) })),
  };
}

export function nodeMetrics(s: NodeMetricsSample, labels: Record<string, string>, nowMs: number, kind = false): Record<string, unknown> {
  return {
    ...(kind ? { kind: 'NodeMetrics', apiVersion: METRICS_GROUP_VERSION } : {}),
    metadata: { name: s.name, creationTimestamp: metaTime(nowMs), ...(Object.keys(labels).length ? { labels } : {}) },
    timestamp: metaTime(s.timestampMs),
    window: goDuration(s.windowMs),
    usage: usage(s.cpuNanocores, s.memoryBytes),
  };
}

export function metricsList(kind: 'NodeMetricsList' | 'PodMetricsList', items: unknown[]): Record<string, unknown> {
  return { kind, apiVersion: METRICS_GROUP_VERSION, metadata: {}, items };
}

const groupVersion = { groupVersion: METRICS_GROUP_VERSION, version: METRICS_VERSION };

/** `GET /apis/metrics.k8s.io`. */
export const apiGroup = { kind: 'APIGroup', apiVersion: 'v1', name: METRICS_GROUP, versions: [groupVersion], preferredVersion: groupVersion };

/** `GET /apis`: plain JSON, so the aggregator falls back to the legacy discovery of the group version. */
export const apiGroupList = { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup] };

/** `GET /apis/metrics.k8s.io/v1beta1`: what the aggregator's availability check and discovery read. */
export const apiResourceList = {
  kind: 'APIResourceList', apiVersion: 'v1', groupVersion: METRICS_GROUP_VERSION,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

/** A Status as the API machinery writes it. */
export function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}
