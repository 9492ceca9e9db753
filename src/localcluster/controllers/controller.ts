import { systemClock, type Clock, type Logger } from '../../core/index.js';

/** A control loop of the embedded cluster, acting on the Store in-process as kube-controller-manager acts through the API. */
export interface Controller {
  /** Called once by the controller manager: starts the watches, then reconciles everything it sees. */
  start(): void;
  /** Stops watches and timers; pending work is dropped. Idempotent. */
  stop(): void;
}

/**
 * The controllers' delayed callbacks: the `after` of the harness's Clock, so that tests drive them together
 * with the Store's `now()` on one manual clock.
 */
export type Timers = Pick<Clock, 'after'>;

/** Real timers, unref'd: a forgotten controller must not keep the process alive. */
export const realTimers: Timers = {
  after: (ms, fn) => systemClock.after(ms, fn, { unref: true }),
};

/** What every controller accepts. */
export interface ControllerOptions {
  timers?: Timers;
  log?: Logger;
  /** Every object is reconciled again this often, as informers resync (0 disables). Default 30 s. */
  resyncMs?: number;
}

export const DEFAULT_RESYNC_MS = 30_000;
