import type { Clock } from '../../src/core/index.js';

/** Lets the promises the clock released run (work that resolves at once, such as fake API calls). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A Clock the test moves (`advance`): monotonic and wall time advance together, and due sleeps
 * resolve in order, each followed by `settle()`. A sleep whose signal aborts rejects.
 */
export class ManualClock implements Clock {
  mono = 5_000;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];

  constructor(public wall = Date.parse('2026-12-07T12:00:00.000Z')) {}

  now = (): number => this.mono;
  wallNow = (): number => this.wall;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        reject(new Error('aborted'));
      };
      const s = { at: this.mono + ms, resolve: () => (signal?.removeEventListener('abort', onAbort), resolve()) };
      this.sleepers.push(s);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.move(due.at);
      due.resolve();
      await settle();
    }
    this.move(end);
    await settle();
  }

  private move(to: number): void {
    this.wall += to - this.mono;
    this.mono = to;
  }
}
