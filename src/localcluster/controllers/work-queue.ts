import type { Logger } from '../../core/index.js';
import type { Timers } from './controller.js';

export interface WorkQueueOptions {
  /** Names the queue in logs. */
  name: string;
  /** Reconciles one key; throwing retries it with backoff. */
  sync: (key: string) => void;
  /** Every key the controller knows, for the periodic resync. */
  keys: () => string[];
  timers: Timers;
  log: Logger;
  /** 0 disables the periodic resync. */
  resyncMs: number;
}

// Consecutive microtask drains allowed before yielding to I/O: a controller that keeps re-queueing itself
// (a bug, or two controllers fighting) must not starve the event loop.
const MAX_MICROTASK_DRAINS = 100;
const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 10_000;

/**
 * client-go's work queue, single-threaded: keys added while pending are coalesced, each key is synced
 * after the current batch of watch events, a failing key is retried with exponential backoff, and every
 * key is re-synced periodically. Drains run in a microtask so a reaction (a terminating pod leaving its
 * endpoints) lands before any I/O is served.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly delayed = new Map<string, { dueMs: number; cancel: () => void }>();
  private readonly failures = new Map<string, number>();
  private scheduled = false;
  private drainsThisTurn = 0;
  private stopped = true;
  private cancelResync: (() => void) | undefined;

  constructor(private readonly opts: WorkQueueOptions, private readonly now: () => number) {}

  start(): void {
    this.stopped = false;
    this.scheduleResync();
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.cancelResync?.();
    this.cancelResync = undefined;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.schedule();
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const dueMs = this.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.dueMs <= dueMs) return;
    existing?.cancel();
    const cancel = this.opts.timers.after(delayMs, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { dueMs, cancel });
  }

  addAll(): void {
    for (const key of this.opts.keys()) this.add(key);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    if (this.drainsThisTurn === 0) setImmediate(() => { this.drainsThisTurn = 0; });
    if (this.drainsThisTurn++ < MAX_MICROTASK_DRAINS) queueMicrotask(() => this.drain());
    else setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      this.syncOne(key);
    }
  }

  private syncOne(key: string): void {
    try {
      this.opts.sync(key);
      this.failures.delete(key);
    } catch (err) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      const delayMs = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
      this.opts.log.warn({ err, queue: this.opts.name, key, attempt, retryInMs: delayMs }, 'sync failed');
      this.addAfter(key, delayMs);
    }
  }

  private scheduleResync(): void {
    if (this.opts.resyncMs <= 0 || this.stopped) return;
    this.cancelResync = this.opts.timers.after(this.opts.resyncMs, () => {
      this.addAll();
      this.scheduleResync();
    });
  }
}
