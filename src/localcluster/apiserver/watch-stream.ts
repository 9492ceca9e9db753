import type { ServerResponse } from 'node:http';
import { ApiError, toTable, type KObject, type ResourceType } from '../api/index.js';
import type { Store, WatchEvent } from '../store/index.js';
import type { Representation } from './negotiation.js';

export interface WatchRequest {
  resource: ResourceType;
  namespace: string | undefined;
  query: URLSearchParams;
  rep: Representation;
  /** Default and maximum watch duration when the client gives no timeoutSeconds. */
  maxTimeoutMs: number;
  bookmarkEveryMs: number;
}

/**
 * Serves a watch as a chunked stream of JSON lines (`{"type":"ADDED","object":{…}}`), the way the API
 * server does over HTTP/1.1. Ends after timeoutSeconds; an error during the watch is sent as an ERROR
 * event carrying a Status, then the stream ends. Returns the function that ends it early (server close).
 */
export function serveWatch(store: Store, res: ServerResponse, w: WatchRequest): () => void {
  const q = w.query;
  const timeoutSec = Number(q.get('timeoutSeconds') ?? NaN);
  const timeoutMs = Number.isFinite(timeoutSec) && timeoutSec > 0 ? Math.min(timeoutSec * 1000, w.maxTimeoutMs) : w.maxTimeoutMs;
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  // A watch-list (client-go's WatchListClient, on by default in kubectl since 1.35): the current state as
  // ADDED events whatever resourceVersion says (NotOlderThan it), then a BOOKMARK annotated
  // k8s.io/initial-events-end that ends the "list"; a client that never sees it waits for ever.
  const initialEvents = q.get('sendInitialEvents') === 'true';
  let lastRv = (initialEvents ? undefined : q.get('resourceVersion')) ?? store.resourceVersion();
  let ended = false;
  let stop: () => void = () => undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    stop();
    clearTimeout(timer);
    clearInterval(bookmarkTimer);
    res.end();
  };
  const write = (type: string, object: unknown): void => {
    if (!ended) res.write(JSON.stringify({ type, object }) + '\n');
  };
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  try {
    stop = store.watch(w.resource.key, w.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: initialEvents ? undefined : q.get('resourceVersion') ?? undefined,
    }, (event: WatchEvent) => {
      const rv = event.object.metadata.resourceVersion;
      // initial ADDED events carry older versions: a later BOOKMARK must not send the client back
      if (rv !== undefined && Number(rv) > Number(lastRv)) lastRv = rv;
      write(event.type, renderEventObject(w, event.object, store.now()));
    });
    if (initialEvents) {
      const listRv = store.resourceVersion();
      // queued after the store's microtask that delivers the initial ADDED events
      queueMicrotask(() => write('BOOKMARK', {
        kind: w.resource.kind, apiVersion: apiVersion(w.resource),
        metadata: { resourceVersion: listRv, annotations: { 'k8s.io/initial-events-end': 'true' } },
      }));
    }
  } catch (err) {
    const status = err instanceof ApiError ? err.toStatus() : new ApiError(500, 'InternalError', String(err)).toStatus();
    write('ERROR', status);
    ended = true;
    res.end();
    return () => undefined;
  }
  const timer = setTimeout(end, timeoutMs);
  const bookmarkTimer = setInterval(() => {
    if (bookmarks) write('BOOKMARK', { kind: w.resource.kind, apiVersion: apiVersion(w.resource), metadata: { resourceVersion: lastRv } });
  }, w.bookmarkEveryMs);
  res.on('close', end);
  return end;
}

function renderEventObject(w: WatchRequest, obj: KObject, nowMs: number): unknown {
  if (w.rep === 'table') return toTable(w.resource, [obj], { nowMs, includeObject: 'Metadata', resourceVersion: obj.metadata.resourceVersion! });
  if (w.rep === 'metadata') return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  return obj;
}

function apiVersion(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
