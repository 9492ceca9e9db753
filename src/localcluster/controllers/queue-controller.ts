import { silentLogger, type Logger } from '../../core/index.js';
import type { Store } from '../store/index.js';
import { DEFAULT_RESYNC_MS, realTimers, type Controller, type ControllerOptions } from './controller.js';
import { WorkQueue } from './work-queue.js';

/**
 * The shape every work-queue controller shares: a logger named after it, a WorkQueue that calls
 * `sync(key)` (and resyncs `keys()`), and store watches that feed the queue between start() and stop().
 * A subclass says which watches (`watch()`), which keys a resync covers (`keys()`) and how one key is
 * reconciled (`sync()`).
 */
export abstract class QueueController implements Controller {
  protected readonly log: Logger;
  protected readonly queue: WorkQueue;
  #unwatch: Array<() => void> | null = null;

  /** `resyncMs` overrides the options' (0: a controller that re-queues each key itself). */
  constructor(protected readonly store: Store, name: string, opts: ControllerOptions, resyncMs?: number) {
    this.log = (opts.log ?? silentLogger).child({ controller: name });
    this.queue = new WorkQueue({
      name, sync: (key) => this.sync(key), keys: () => this.keys(),
      timers: opts.timers ?? realTimers, log: this.log, resyncMs: resyncMs ?? opts.resyncMs ?? DEFAULT_RESYNC_MS,
    }, store.now);
  }

  start(): void {
    if (this.#unwatch) return;
    this.queue.start();
    this.#unwatch = this.watch();
  }

  stop(): void {
    for (const u of this.#unwatch ?? []) u();
    this.#unwatch = null;
    this.queue.stop();
  }

  /** Reconciles one key; public so tests can run a sync synchronously. */
  abstract sync(key: string): void;
  /** The watches that feed the queue; each returned function stops one. */
  protected abstract watch(): Array<() => void>;
  /** Every key a resync reconciles. */
  protected abstract keys(): string[];
}
