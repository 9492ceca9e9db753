import {
  apiGroup, apiGroupList, apiResourceList, METRICS_GROUP, METRICS_GROUP_VERSION, metricsList, nodeMetrics, podMetrics, statusObject,
  type NodeMetricsSample, type PodMetricsSample,
} from './metrics-objects.js';

/** Where the metrics come from: what a ResourceSampler has. */
export interface MetricsSource {
  pods(): PodMetricsSample[];
  nodes(): NodeMetricsSample[];
}

/**
 * The objects the API server has, for selection: metrics-server reads them from its informers, so that a
 * labelSelector or fieldSelector means what it means for the Pods and Nodes themselves. A bad selector
 * rejects with a ResponseError carrying the API server's own answer.
 */
export interface MetricsLookup {
  pods(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<Array<{ uid: string; labels: Record<string, string> }>>;
  nodes(labelSelector: string | undefined, fieldSelector: string | undefined): Promise<Array<{ name: string; labels: Record<string, string> }>>;
}

/** An answer: status code and JSON body. */
export interface MetricsResponse {
  code: number;
  body: unknown;
}

/** A failure that carries the answer to give (e.g. the API server's 400 for a bad selector). */
export class ResponseError extends Error {
  constructor(readonly response: MetricsResponse) {
    super(`HTTP ${response.code}`);
  }
}

/** What a request asks for, as an authorizer reads it. */
export type MetricsRequest =
  | { kind: 'discovery'; path: string; body: unknown }
  | { kind: 'resource'; verb: 'get' | 'list'; resource: 'pods' | 'nodes'; namespace?: string; name?: string };

const base = `/apis/${METRICS_GROUP_VERSION}`;

/** The request a path names, or undefined (404). */
export function parseMetricsPath(pathname: string): MetricsRequest | undefined {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/apis') return { kind: 'discovery', path, body: apiGroupList };
  if (path === `/apis/${METRICS_GROUP}`) return { kind: 'discovery', path, body: apiGroup };
  if (path === base) return { kind: 'discovery', path, body: apiResourceList };
  if (!path.startsWith(`${base}/`)) return undefined;
  const parts = path.slice(base.length + 1).split('/').map(decodeURIComponent);
  if (parts[0] === 'nodes' && parts.length <= 2) return resource('nodes', undefined, parts[1]);
  if (parts[0] === 'pods' && parts.length === 1) return resource('pods', undefined, undefined);
  if (parts[0] === 'namespaces' && parts[1] && parts[2] === 'pods' && parts.length <= 4) return resource('pods', parts[1], parts[3]);
  return undefined;
}

function resource(resource: 'pods' | 'nodes', namespace: string | undefined, name: string | undefined): MetricsRequest {
  return { kind: 'resource', verb: name ? 'get' : 'list', resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

function notFound(resource: 'pods' | 'nodes', name: string): MetricsResponse {
  const what = resource === 'pods' ? 'podmetrics' : 'nodemetrics';
  return { code: 404, body: statusObject(404, 'NotFound', `${what}.${METRICS_GROUP} "${name}" not found`, { name, group: METRICS_GROUP, kind: resource }) };
}

/** Answers a resource request from the source's samples, selected through the lookup. */
export async function serveResource(
  req: Extract<MetricsRequest, { kind: 'resource' }>, query: URLSearchParams, source: MetricsSource, lookup: MetricsLookup, nowMs: number,
): Promise<MetricsResponse> {
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    return { code: 405, body: statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`) };
  }
  const fieldSelector = req.name ? [`metadata.name=${req.name}`, query.get('fieldSelector')].filter(Boolean).join(',') : query.get('fieldSelector') ?? undefined;
  const labelSelector = query.get('labelSelector') ?? undefined;
  if (req.resource === 'nodes') {
    const nodes = await lookup.nodes(labelSelector, fieldSelector);
    const samples = new Map(source.nodes().map((s) => [s.name, s]));
    const items = nodes.flatMap((n) => {
      const s = samples.get(n.name);
      return s ? [nodeMetrics(s, n.labels, nowMs, Boolean(req.name))] : [];
    });
    if (req.name) return items[0] ? { code: 200, body: items[0] } : notFound('nodes', req.name);
    return { code: 200, body: metricsList('NodeMetricsList', items) };
  }
  const pods = new Map((await lookup.pods(req.namespace, labelSelector, fieldSelector)).map((p) => [p.uid, p.labels]));
  const items = source.pods().filter((s) => pods.has(s.uid)).map((s) => podMetrics({ ...s, labels: pods.get(s.uid)! }, nowMs, Boolean(req.name)));
  if (req.name) return items[0] ? { code: 200, body: items[0] } : notFound('pods', req.name);
  return { code: 200, body: metricsList('PodMetricsList', items) };
}
