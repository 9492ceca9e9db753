import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/** Cancels what `Clock.after` scheduled; calling it after the callback ran, or twice, does nothing. */
export type Cancel = () => void;

export interface AfterOptions {
  /** the timer does not keep the process alive (for background work: heartbeats, flushes, controllers) */
  unref?: boolean;
}

/**
 * Time for the whole harness. `now()` is monotonic but expressed in epoch milliseconds
 * (`performance.timeOrigin + performance.now()`), so instants taken in worker threads
 * and in the main thread can be compared; `wallNow()` is the wall clock for reports.
 * Every delay in crt goes through `sleep` or `after`, so that tests drive it with a manual
 * clock (test/helpers/manual-clock.ts); only the load pacer's hot path uses raw timers.
 */
export interface Clock {
  now(): number;
  wallNow(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms` (at once for `ms <= 0`, but never synchronously); the returned function
   * cancels it. A repeating task calls `after` again from `fn`.
   */
  after(ms: number, fn: () => void, opts?: AfterOptions): Cancel;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
  after: (ms, fn, opts) => {
    const timer = setTimeout(fn, Math.max(0, ms));
    if (opts?.unref) timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * `call`, or a rejection (code ETIMEDOUT, "no answer in N s") once `ms` have passed on `clock`: for calls
 * that take no signal of their own (client-node's), bounded while a server may hold them (an API server
 * without its etcd quorum). The call itself goes on; its late outcome is ignored.
 */
export async function answerWithin<T>(clock: Clock, ms: number, call: Promise<T>): Promise<T> {
  const stop = new AbortController();
  try {
    return await Promise.race([call, clock.sleep(ms, stop.signal).then((): never => {
      throw Object.assign(new Error(`no answer in ${Math.round(ms / 100) / 10} s`), { code: 'ETIMEDOUT' });
    })]);
  } finally {
    stop.abort();
  }
}
