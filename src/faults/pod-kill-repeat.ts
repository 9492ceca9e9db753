import { errorMessage } from '../core/index.js';
import type { FaultContext } from './fault.js';

interface Repeat {
  stop: AbortController;
  rounds: number;
  killed: number;
  failures: number;
  loop: Promise<void>;
}

/**
 * Repeating pod kills running in this process, by `<run>/<case>/<step>`. The timeline knows one
 * apply and one revert per step; a repeat lives between the two, so its revert (at revertAfter or
 * the end of the case) must find it here. After a crash the loop died with the process: a revert
 * from the journal then has nothing to stop.
 */
const running = new Map<string, Repeat>();

/** Kills again every `intervalMs` until stopRepeat(key) or the run's signal aborts. */
export function startRepeat(key: string, ctx: FaultContext, intervalMs: number, round: (n: number) => Promise<string[]>): void {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const state: Repeat = { stop, rounds: 0, killed: 0, failures: 0, loop: Promise.resolve() };
  state.loop = (async () => {
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
  running.set(key, state);
}

/** Stops a repeat and waits for a round in flight; says what it did. */
export async function stopRepeat(key: string): Promise<string> {
  const state = running.get(key);
  if (!state) return 'no repeat running in this process: nothing to stop';
  running.delete(key);
  state.stop.abort();
  await state.loop;
  const failed = state.failures ? `, ${state.failures} round(s) failed` : '';
  return `stopped the repeat after ${state.rounds} more round(s), ${state.killed} more pod(s) killed${failed}`;
}
