import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, applyPatch, type KObject, type ResourceType } from '../api/index.js';
import { formatLabelSelector } from '../../kube/index.js';
import type { DeleteOptions, Store } from '../store/index.js';
import { renderList, renderObject, representation } from './negotiation.js';
import { servePodLog, type LogSource } from './pod-logs.js';
import { mediaType, readJsonBody } from './request-body.js';
import { serveWatch } from './watch-stream.js';

/** A handler for a subresource the cluster adds (pods/eviction, ...): returns the body and status code. */
export type SubresourceHandler = (ctx: { store: Store; resource: ResourceType; namespace: string | undefined; name: string; method: string; body: unknown }) => { code: number; body: unknown };

export interface HandlerContext {
  store: Store;
  logs: LogSource | undefined;
  subresources: Map<string, SubresourceHandler>;
  watches: Set<() => void>;
  watchMaxMs: number;
  bookmarkEveryMs: number;
  signal: AbortSignal;
}

export interface ResourceRequest {
  resource: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
  query: URLSearchParams;
}

/** Serves one resource request (every verb); throws ApiError for the caller to turn into a Status. */
export async function handleResource(ctx: HandlerContext, r: ResourceRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const store = ctx.store;
  const resource = r.resource;
  const method = req.method ?? 'GET';
  const rep = representation(req.headers.accept);
  const dryRun = r.query.getAll('dryRun').includes('All');
  const now = store.now();
  const extra = r.subresource && ctx.subresources.get(`${resource.key}/${r.subresource}`);
  if (extra && r.name) {
    const out = extra({ store, resource, namespace: r.namespace, name: r.name, method, body: await readJsonBody(req) });
    return send(res, out.code, out.body);
  }
  if (r.subresource === 'log' && r.name && method === 'GET') {
    if (!ctx.logs) throw new ApiError(404, 'NotFound', 'pod logs are not available');
    const pod = store.get(resource.key, r.namespace, r.name);
    return servePodLog(res, ctx.logs, pod, r.query, ctx.signal);
  }
  if (r.subresource === 'scale' && r.name) return handleScale(store, r, method, req, res);
  const sub = r.subresource === 'status' ? { subresource: 'status' } : {};
  switch (method) {
    case 'GET': {
      if (r.name) return send(res, 200, renderObject(resource, store.get(resource.key, r.namespace, r.name), rep, r.query, now));
      if (r.legacyWatch || isTrue(r.query.get('watch'))) {
        const end = serveWatch(store, res, { resource, namespace: r.namespace, query: r.query, rep, maxTimeoutMs: ctx.watchMaxMs, bookmarkEveryMs: ctx.bookmarkEveryMs });
        ctx.watches.add(end);
        res.on('close', () => ctx.watches.delete(end));
        return;
      }
      const list = store.list(resource.key, r.namespace, listOptions(r.query));
      return send(res, 200, renderList(resource, list.items, list.resourceVersion, rep, r.query, now, list.continue));
    }
    case 'POST': {
      if (r.name) throw methodNotAllowed(method, resource);
      const body = await objectBody(req);
      return send(res, 201, renderObject(resource, store.create(resource.key, r.namespace, body, { dryRun }), rep, r.query, now));
    }
    case 'PUT': {
      if (!r.name) throw methodNotAllowed(method, resource);
      const body = await objectBody(req);
      return send(res, 200, renderObject(resource, store.update(resource.key, r.namespace, r.name, body, { dryRun, ...sub }), rep, r.query, now));
    }
    case 'PATCH': {
      if (!r.name) throw methodNotAllowed(method, resource);
      const body = await readJsonBody(req);
      const patched = store.patch(resource.key, r.namespace, r.name, mediaType(req), body, { dryRun, ...sub });
      return send(res, 200, renderObject(resource, patched, rep, r.query, now));
    }
    case 'DELETE': {
      const opts = deleteOptions(r.query, await readJsonBody(req), dryRun);
      if (!r.name) {
        const items = store.deleteCollection(resource.key, r.namespace, listOptions(r.query), opts);
        return send(res, 200, renderList(resource, items, store.resourceVersion(), 'object', r.query, now));
      }
      const deleted = store.delete(resource.key, r.namespace, r.name, opts);
      return send(res, 200, deleted);
    }
    default:
      throw methodNotAllowed(method, resource);
  }
}

async function handleScale(store: Store, r: ResourceRequest, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = r.resource.key;
  const toScale = (obj: KObject): KObject => ({
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name!, namespace: obj.metadata.namespace!, uid: obj.metadata.uid!, resourceVersion: obj.metadata.resourceVersion!, creationTimestamp: obj.metadata.creationTimestamp! },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: formatLabelSelector(obj.spec?.selector) },
  });
  const current = store.get(key, r.namespace, r.name!);
  if (method === 'GET') return send(res, 200, toScale(current));
  let scale: KObject;
  if (method === 'PUT') scale = await objectBody(req);
  else if (method === 'PATCH') {
    scale = applyPatch(toScale(current), mediaType(req), await readJsonBody(req));
  } else throw methodNotAllowed(method, r.resource);
  const replicas = scale.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${r.name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`, { name: r.name!, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: 'must be greater than or equal to 0', field: 'spec.replicas' }] });
  }
  const next = structuredClone(current);
  next.spec = { ...next.spec, replicas };
  if (scale.metadata?.resourceVersion) next.metadata.resourceVersion = scale.metadata.resourceVersion;
  return send(res, 200, toScale(store.update(key, r.namespace, r.name!, next)));
}

async function objectBody(req: IncomingMessage): Promise<KObject> {
  const body = await readJsonBody(req);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
  return body as KObject;
}

function listOptions(q: URLSearchParams): { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } {
  const limit = Number(q.get('limit') ?? NaN);
  return {
    ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
    ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
    ...(Number.isInteger(limit) && limit > 0 ? { limit } : {}),
    ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
  };
}

function deleteOptions(q: URLSearchParams, body: unknown, dryRun: boolean): DeleteOptions {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const grace = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  const raw = q.get('propagationPolicy') ?? b.propagationPolicy ?? (b.orphanDependents === true ? 'Orphan' : undefined);
  const policy = raw === undefined ? undefined : JSON.stringify(raw).replace(/^"|"$/g, '');
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw new ApiError(400, 'BadRequest', `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  return {
    dryRun: dryRun || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
    ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(policy ? { propagationPolicy: policy as DeleteOptions['propagationPolicy'] } : {}),
    ...(b.preconditions ? { preconditions: b.preconditions } : {}),
  };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function methodNotAllowed(method: string, resource: ResourceType): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${resource.plural})`);
}

export function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  res.end(text);
}
