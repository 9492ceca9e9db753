import type { Timers } from './controller.js';
import { realTimers } from './controller.js';

/** One pod's CPU usage as metrics-server reports it: the average over the window between two samples. */
export interface PodCpuUsage {
  millicores: number;
  windowMs: number;
  /** When the window ended (ms). */
  timestampMs: number;
}

/** The resource metrics API, as the HPA controller reads it. */
export interface PodMetricsSource {
  /** Called at every HPA sync for each pod: undefined while the pod has no usage yet (fewer than two samples). */
  podCpu(uid: string): PodCpuUsage | undefined;
}

/** metrics-server's default --metric-resolution. */
export const DEFAULT_METRICS_RESOLUTION_MS = 15_000;

export interface CpuSamplerOptions {
  /** The running pods' uids and each one's cumulative CPU time (ms), as the kubelets know them. */
  cpuTimes: () => Map<string, number>;
  /** How often the counters are sampled (default 15 s). */
  resolutionMs?: number;
  now?: () => number;
  timers?: Timers;
}

interface Sample { cpuMs: number; atMs: number }

/**
 * The embedded cluster's metrics-server: samples every pod's CPU time counter periodically and reports the
 * usage between the last two samples. A counter that went down (a container restarted and its processes'
 * times start again from 0) counts from 0, so a restart never reads as negative usage.
 */
export class CpuSampler implements PodMetricsSource {
  private readonly last = new Map<string, { cur: Sample; usage?: PodCpuUsage }>();
  private readonly resolutionMs: number;
  private readonly now: () => number;
  private readonly timers: Timers;
  private cancel: (() => void) | undefined;

  constructor(private readonly opts: CpuSamplerOptions) {
    this.resolutionMs = opts.resolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
  }

  start(): void {
    if (this.cancel) return;
    const tick = (): void => {
      this.sample();
      this.cancel = this.timers.after(this.resolutionMs, tick);
    };
    tick();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  podCpu(uid: string): PodCpuUsage | undefined {
    return this.last.get(uid)?.usage;
  }

  /** Takes one sample of every pod; public so tests can drive it. */
  sample(): void {
    const atMs = this.now();
    const times = this.opts.cpuTimes();
    for (const uid of this.last.keys()) if (!times.has(uid)) this.last.delete(uid);
    for (const [uid, cpuMs] of times) {
      const entry = this.last.get(uid);
      if (!entry) {
        this.last.set(uid, { cur: { cpuMs, atMs } });
        continue;
      }
      const windowMs = atMs - entry.cur.atMs;
      if (windowMs <= 0) continue;
      const used = cpuMs >= entry.cur.cpuMs ? cpuMs - entry.cur.cpuMs : cpuMs;
      entry.cur = { cpuMs, atMs };
      entry.usage = { millicores: (used / windowMs) * 1000, windowMs, timestampMs: atMs };
    }
  }
}
