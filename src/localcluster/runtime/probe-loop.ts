import type { Clock } from '../../core/index.js';
import { runProbe, type ProbeTarget } from './probe.js';

/**
 * A probe run over one container's life, as the kubelet's prober worker runs it: first attempt after
 * `initialDelaySeconds` (counted from the container's start), then one every `periodSeconds`; the result
 * flips only after `successThreshold` successes or `failureThreshold` failures in a row.
 * Fractional seconds are honoured (Kubernetes only allows integers; tests use fractions to stay fast).
 */

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

/** Kubernetes' probe defaults. */
export const probeDefaults = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

/** Consecutive results → the probe's state; `record` returns the new state when it changes. */
export class ProbeCounter {
  private last: boolean | undefined;
  private run = 0;

  constructor(
    private state: boolean,
    private readonly successThreshold: number,
    private readonly failureThreshold: number,
  ) {}

  get healthy(): boolean {
    return this.state;
  }

  record(ok: boolean): boolean | undefined {
    this.run = this.last === ok ? this.run + 1 : 1;
    this.last = ok;
    if (this.run < (ok ? this.successThreshold : this.failureThreshold) || this.state === ok) return undefined;
    this.state = ok;
    return ok;
  }
}

export interface ProbeLoopOptions {
  probe: any;
  kind: ProbeKind;
  target: ProbeTarget;
  clock: Clock;
  /** `clock.now()` when the container started: the initial delay counts from it. */
  startedAt: number;
  /** Called after each failed attempt, before any `onChange` it causes. */
  onFailure(message: string): void;
  /** Called when the probe's state flips (readiness and startup start unhealthy, liveness healthy). */
  onChange(healthy: boolean): void;
}

export class ProbeLoop {
  private readonly abort = new AbortController();
  readonly counter: ProbeCounter;

  constructor(private readonly options: ProbeLoopOptions) {
    const p = { ...probeDefaults, ...stripUndefined(options.probe) };
    this.counter = new ProbeCounter(options.kind === 'liveness', p.successThreshold, p.failureThreshold);
  }

  /** Starts probing; stops by itself after a startup success or a liveness/startup failure (the container is done with it). */
  start(): void {
    // only an abort rejects: probe attempts never do
    this.run().catch(() => undefined);
  }

  stop(): void {
    this.abort.abort();
  }

  private async run(): Promise<void> {
    const { clock, kind, target } = this.options;
    const signal = this.abort.signal;
    const p = { ...probeDefaults, ...stripUndefined(this.options.probe) };
    const periodMs = Math.max(1, p.periodSeconds * 1000);
    let next = this.options.startedAt + p.initialDelaySeconds * 1000;
    for (;;) {
      const now = clock.now();
      if (next > now) await clock.sleep(next - now, signal);
      if (signal.aborted) return;
      const result = await runProbe(this.options.probe, target, p.timeoutSeconds * 1000);
      if (signal.aborted) return;
      if (!result.ok) this.options.onFailure(result.message);
      const changed = this.counter.record(result.ok);
      if (changed !== undefined) this.options.onChange(changed);
      if ((kind === 'startup' && changed === true) || (kind !== 'readiness' && changed === false)) return;
      // like a ticker, skip the ticks a slow attempt missed
      next += periodMs;
      while (next <= clock.now()) next += periodMs;
    }
  }
}

function stripUndefined(probe: any): Partial<typeof probeDefaults> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(probeDefaults)) if (typeof probe?.[key] === 'number') out[key] = probe[key];
  return out;
}
