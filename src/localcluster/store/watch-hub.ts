import { ApiError, type KObject } from '../api/index.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

/** One change the store made, kept in the history so a watch can resume from a resourceVersion. */
export interface Change {
  rv: number;
  resourceKey: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  /** The object before the change (MODIFIED), so selector transitions can be computed. */
  previous?: KObject;
}

/** Decides whether an object is in a watcher's view (resource, namespace, selectors). */
export type WatchFilter = (resourceKey: string, obj: KObject) => boolean;

interface Watcher {
  filter: WatchFilter;
  onEvent: (event: WatchEvent) => void;
  queue: WatchEvent[];
  scheduled: boolean;
  closed: boolean;
}

/**
 * Fans the store's changes out to watchers, in resourceVersion order, and keeps a bounded history so
 * a watch that names a resourceVersion gets every change after it (or 410 Gone when it is too old,
 * as the real API answers and as informers expect). Delivery is queued per watcher and flushed in a
 * microtask, so a watcher reacting with writes never re-enters the store mid-change.
 */
export class WatchHub {
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly historyLimit = 20_000) {}

  /** Called by the store after each change, with the new resourceVersion. */
  publish(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const w of this.watchers) {
      const event = translate(change, w.filter);
      if (event) this.enqueue(w, event);
    }
  }

  /**
   * Starts a watch. `initial` are the synthetic ADDED objects (watch from "now"); `fromRv` replays the
   * history after that version. Returns the function that stops it.
   */
  watch(filter: WatchFilter, onEvent: (event: WatchEvent) => void, start: { initial?: KObject[]; fromRv?: number }): () => void {
    const watcher: Watcher = { filter, onEvent, queue: [], scheduled: false, closed: false };
    for (const obj of start.initial ?? []) this.enqueue(watcher, { type: 'ADDED', object: obj });
    if (start.fromRv !== undefined) {
      const oldest = this.history[0]?.rv;
      if (oldest !== undefined && start.fromRv < oldest - 1) {
        throw new ApiError(410, 'Expired', `too old resource version: ${start.fromRv} (${oldest - 1})`);
      }
      for (const change of this.history) {
        if (change.rv <= start.fromRv) continue;
        const event = translate(change, filter);
        if (event) this.enqueue(watcher, event);
      }
    }
    this.watchers.add(watcher);
    return () => {
      watcher.closed = true;
      this.watchers.delete(watcher);
    };
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private enqueue(w: Watcher, event: WatchEvent): void {
    w.queue.push(event);
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => {
      w.scheduled = false;
      const events = w.queue.splice(0);
      for (const e of events) {
        if (w.closed) return;
        w.onEvent(e);
      }
    });
  }
}

/** The event a watcher sees for a change: selector transitions become ADDED/DELETED, as in Kubernetes. */
function translate(change: Change, filter: WatchFilter): WatchEvent | undefined {
  const now = filter(change.resourceKey, change.object);
  if (change.type !== 'MODIFIED') return now ? { type: change.type, object: change.object } : undefined;
  const before = change.previous !== undefined && filter(change.resourceKey, change.previous);
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before) return { type: 'DELETED', object: change.object };
  return undefined;
}
