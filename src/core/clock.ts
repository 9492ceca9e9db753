import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/**
 * Time for the whole harness. `now()` is monotonic but expressed in epoch milliseconds
 * (`performance.timeOrigin + performance.now()`), so instants taken in worker threads
 * and in the main thread can be compared; `wallNow()` is the wall clock for reports.
 */
export interface Clock {
  now(): number;
  wallNow(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
};
