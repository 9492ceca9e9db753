import type { Cancel, Clock } from '../../src/core/index.js';

/** Lets the promises the clock released run (work that resolves at once, such as fake API calls). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

interface Due {
  at: number;
  /** scheduling order: two timers due at the same instant fire in the order they were set, as Node's do */
  seq: number;
  fire: () => void;
}

/**
 * The one Clock a test moves: monotonic and wall time advance together, and only `advance` moves them.
 * Sleeps and `after` callbacks that fall due fire in time order (ties in scheduling order), each
 * followed by `settle()`, so that the work they release runs before the next one fires. A sleep whose
 * signal aborts rejects with the signal's reason. Nothing here reads the real time.
 */
export class ManualClock implements Clock {
  /** monotonic time; starts well past 0 so that an offset of 0 is never mistaken for "unset" */
  mono = 5_000;
  private timers: Due[] = [];
  private seq = 0;

  constructor(public wall = Date.parse('2026-12-07T12:00:00.000Z')) {}

  now = (): number => this.mono;
  wallNow = (): number => this.wall;

  after(ms: number, fn: () => void): Cancel {
    const t: Due = { at: this.mono + Math.max(0, ms), seq: this.seq++, fire: fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        cancel();
        reject(abortReason(signal as AbortSignal));
      };
      const cancel = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Timers and sleeps not yet due. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing what falls due in order, including what the fired callbacks schedule. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.move(due.at);
      due.fire();
      await settle();
    }
    this.move(end);
    await settle();
  }

  private move(to: number): void {
    if (to <= this.mono) return;
    this.wall += to - this.mono;
    this.mono = to;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`aborted: ${String(signal.reason)}`);
}
