/**
 * The kubelet's restart back-off (client-go flowcontrol.Backoff as the kubelet uses it): the first failure
 * starts at `initialMs`, each later one doubles up to `maxMs`, and a failure more than `2 × maxMs` after the
 * previous one starts over (10 minutes with the default 5-minute cap).
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

export class Backoff {
  private entry: { backoffMs: number; lastUpdateMs: number } | undefined;

  constructor(private readonly options: BackoffOptions = defaultBackoff) {}

  /** The back-off in force for a failure at `atMs`: 0 when there is none yet or it has expired. */
  current(atMs: number): number {
    return this.entry === undefined || this.expired(atMs) ? 0 : this.entry.backoffMs;
  }

  /** Records a failure at `atMs` and returns the back-off that now applies. */
  next(atMs: number): number {
    const backoffMs = this.entry === undefined || this.expired(atMs)
      ? this.options.initialMs
      : Math.min(this.entry.backoffMs * 2, this.options.maxMs);
    this.entry = { backoffMs, lastUpdateMs: atMs };
    return backoffMs;
  }

  /**
   * How long to wait before restarting a container that exited at `finishedAtMs`: nothing after the first
   * exit, then the back-off, as the kubelet does (so a crashing container restarts at 0, 10, 20, 40... s).
   */
  restartDelay(finishedAtMs: number): number {
    const delayMs = this.current(finishedAtMs);
    this.next(finishedAtMs);
    return delayMs;
  }

  private expired(atMs: number): boolean {
    return this.entry !== undefined && atMs - this.entry.lastUpdateMs > 2 * this.options.maxMs;
  }
}

/** `10s`, `1m20s`, `5m0s`, `250ms`: Go's Duration.String for the back-off messages. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSec = ms / 1000;
  const minutes = Math.floor(totalSec / 60);
  const seconds = Math.round((totalSec - minutes * 60) * 1000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
