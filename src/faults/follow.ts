import { Watch } from '@kubernetes/client-node';
import type { Clock } from '../core/index.js';
import { retryApiCall, type KubeClients } from '../kube/index.js';

/** A watch is ended by the server after this long at most, then listed and opened again: a stream a proxy dropped silently cannot stall the wait. */
const WATCH_WINDOW_SEC = 60;
const RELIST_PAUSE_MS = 1_000;

export interface Follow<T> {
  /** the collection's URL path, e.g. `/api/v1/pods` */
  path: string;
  fieldSelector: string;
  /** the same collection listed (the caller's typed client call) */
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** called with each list; true when what the caller waits for is there */
  onList: (items: T[]) => boolean;
  /** called with each watch event (ADDED, MODIFIED, DELETED); true when done */
  onEvent: (type: string, obj: T) => boolean;
  deadlineMs: number;
}

/**
 * Follows a collection until the caller is satisfied or `deadlineMs`: one list, then one watch from
 * its resourceVersion, listed and watched again when the stream ends (410 Gone, the server's
 * timeout, a dropped connection). Returns true when done, false at the deadline. What the faults
 * wait on (evicted pods gone, a lost node NotReady) costs a few requests instead of a GET per object
 * and poll period.
 */
export async function follow<T>(kube: KubeClients, clock: Clock, signal: AbortSignal, f: Follow<T>): Promise<boolean> {
  for (;;) {
    const list = await retryApiCall(f.list, { clock, signal });
    if (f.onList(list.items)) return true;
    const remainingMs = f.deadlineMs - clock.now();
    if (remainingMs <= 0) return false;
    signal.throwIfAborted();
    const openedMs = clock.now();
    if (await watchOnce(kube, clock, signal, f, list.metadata?.resourceVersion ?? '', remainingMs)) return true;
    signal.throwIfAborted();
    // a watch refused or cut at once is not reopened in a tight loop
    if (clock.now() - openedMs < RELIST_PAUSE_MS) await clock.sleep(Math.min(RELIST_PAUSE_MS, Math.max(0, f.deadlineMs - clock.now())), signal);
  }
}

/** Watches from `resourceVersion` until onEvent says done (true), or the time is up or the stream ends (false). */
function watchOnce<T>(kube: KubeClients, clock: Clock, signal: AbortSignal, f: Follow<T>, resourceVersion: string, remainingMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const stop = new AbortController();
    let request: AbortController | undefined;
    const finish = (done: boolean): void => {
      if (stop.signal.aborted) return;
      stop.abort();
      request?.abort();
      resolve(done);
    };
    const ended = (): void => finish(false);
    clock.sleep(remainingMs, AbortSignal.any([stop.signal, signal])).then(ended, ended);
    const query = { fieldSelector: f.fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: Math.min(WATCH_WINDOW_SEC, Math.ceil(remainingMs / 1000)) };
    new Watch(kube.kc).watch(f.path, query, (type: string, obj: T) => {
      // an ERROR event (410 Gone: the resourceVersion is too old) ends this watch: list again
      if (type === 'ERROR') return ended();
      if (type !== 'BOOKMARK' && f.onEvent(type, obj)) finish(true);
    }, ended).then((req) => {
      request = req;
      if (stop.signal.aborted) req.abort();
    }, ended);
  });
}
