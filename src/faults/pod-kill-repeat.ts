import { errorMessage } from '../core/index.js';
import type { FaultContext, LiveFault } from './fault.js';

/**
 * Kills again every `intervalMs` until the returned handle is stopped or the run's signal aborts.
 * The handle is the repeat's only reference: the run that applied the kill stops it (FaultPlan.apply's
 * `live`); after a crash the loop died with the process, and a revert from the journal has nothing to stop.
 */
export function startRepeat(ctx: FaultContext, intervalMs: number, round: (n: number) => Promise<string[]>): LiveFault {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const state = { rounds: 0, killed: 0, failures: 0 };
  const loop = (async () => {
    while (!signal.aborted) {
      try {
        await ctx.clock.sleep(intervalMs, signal);
      } catch {
        return; // stopped while waiting
      }
      state.rounds++;
      try {
        const pods = await round(state.rounds);
        state.killed += pods.length;
        ctx.log.info({ round: state.rounds, pods }, 'pod-kill repeat');
      } catch (err) {
        // one failed round (no pod left to pick, API hiccup) does not end the chaos
        state.failures++;
        ctx.log.warn({ round: state.rounds, err: errorMessage(err) }, 'pod-kill repeat round failed');
      }
    }
  })();
  let stopped: Promise<string> | null = null;
  return {
    // idempotent: a second stop waits for the same end and says the same
    stop: () => (stopped ??= (async () => {
      stop.abort();
      await loop;
      const failed = state.failures ? `, ${state.failures} round(s) failed` : '';
      return `stopped the repeat after ${state.rounds} more round(s), ${state.killed} more pod(s) killed${failed}`;
    })()),
  };
}
