import { performance } from 'node:perf_hooks';
import { encodeHistogram, MAX_SERVED_BY_VALUES, newLatencyHistogram, SERVED_BY_OTHER, type FailureClass, type Histogram, type LoadSample } from '../results/index.js';

interface Bucket {
  sec: number;
  stage: number;
  requests: number;
  ok: number;
  failures: Record<FailureClass, number>;
  statusCodes: Record<string, number>;
  bytes: number;
  sent: number;
  latency: Histogram;
  service: Histogram;
  lagMaxMs: number;
  firstFailureAt?: number;
  lastFailureAt?: number;
  servedBy?: Record<string, number>;
}

/**
 * How busy the generator's thread was since the previous call, 0..1. The default reads the
 * event loop's utilisation; tests inject a fixed value to force a saturated generator.
 */
export type BusyMeter = () => number;

/** A second in which the generator's event loop was busy at least this share of the time is saturated. */
export const SATURATED_ELU = 0.9;

export function eventLoopMeter(): BusyMeter {
  let last = performance.eventLoopUtilization();
  return () => {
    const elu = performance.eventLoopUtilization(last);
    last = performance.eventLoopUtilization();
    return elu.utilization;
  };
}

export type Outcome = { kind: 'response'; status: number; ok: boolean; bytes: number } | { kind: FailureClass };

/**
 * Per-second, per-stage measurements of one generator. A request is counted in the second it
 * completes; its latency is taken from its intended send time, its service time from the
 * moment it was written. Runs on the generator's thread: every call here is on the per-request path.
 */
export class Recorder {
  private readonly buckets = new Map<string, Bucket>();
  private flushedUpTo: number;
  private readonly activeStages = new Set<number>();
  /** the bucket of the last call, to skip the map lookup on the per-request path */
  private last: Bucket | undefined;
  private lastFromMs = 0;
  /** servedBy values counted under their own name so far (at most MAX_SERVED_BY_VALUES) */
  private readonly servedValues = new Set<string>();

  constructor(
    private readonly originMs: number,
    private readonly generator: number,
    startMs: number,
    private readonly busy: BusyMeter = eventLoopMeter(),
  ) {
    this.flushedUpTo = Math.max(0, Math.floor((startMs - originMs) / 1000));
  }

  stageActive(stage: number, active: boolean): void {
    if (active) this.activeStages.add(stage);
    else this.activeStages.delete(stage);
  }

  sent(stage: number, atMs: number, lagMs: number): void {
    const b = this.bucket(stage, atMs);
    b.sent++;
    if (lagMs > b.lagMaxMs) b.lagMaxMs = lagMs;
  }

  record(stage: number, atMs: number, intendedMs: number, sentMs: number, outcome: Outcome): void {
    if (outcome.kind === 'response') this.response(stage, atMs, intendedMs, sentMs, outcome.status, outcome.ok, outcome.bytes);
    else this.failure(stage, atMs, intendedMs, sentMs, outcome.kind);
  }

  /** An answer with an HTTP status: `record` without the Outcome object, for the per-request path of an engine. */
  response(stage: number, atMs: number, intendedMs: number, sentMs: number, status: number, ok: boolean, bytes: number): void {
    const b = this.timed(stage, atMs, intendedMs, sentMs);
    b.bytes += bytes;
    // an integer key: V8 keeps it in the object's elements, no string is made per answer
    b.statusCodes[status] = (b.statusCodes[status] ?? 0) + 1;
    if (ok) {
      b.ok++;
      return;
    }
    b.failures.status++;
    this.failedAt(b, atMs);
  }

  /** A request that got no HTTP status (timeout, refused, reset, other). */
  failure(stage: number, atMs: number, intendedMs: number, sentMs: number, kind: FailureClass): void {
    const b = this.timed(stage, atMs, intendedMs, sentMs);
    b.failures[kind]++;
    this.failedAt(b, atMs);
  }

  private timed(stage: number, atMs: number, intendedMs: number, sentMs: number): Bucket {
    const b = this.bucket(stage, atMs);
    b.requests++;
    const latencyUs = Math.round((atMs - intendedMs) * 1000);
    const serviceUs = Math.round((atMs - sentMs) * 1000);
    b.latency.recordValue(latencyUs > 0 ? latencyUs : 0);
    b.service.recordValue(serviceUs > 0 ? serviceUs : 0);
    return b;
  }

  private failedAt(b: Bucket, atMs: number): void {
    if (b.firstFailureAt === undefined) b.firstFailureAt = atMs;
    b.lastFailureAt = atMs;
  }

  /**
   * Counts an answer by the value of the load's servedBy header, in the second it completed
   * (call it right after `record`, with the same instant). Only called when servedBy is set.
   */
  served(stage: number, atMs: number, value: string): void {
    const b = this.bucket(stage, atMs);
    let key = value;
    if (!this.servedValues.has(value)) {
      if (this.servedValues.size < MAX_SERVED_BY_VALUES) this.servedValues.add(value);
      else key = SERVED_BY_OTHER;
    }
    // no prototype: a backend answering `constructor` or `__proto__` is a value like any other
    const counts = (b.servedBy ??= Object.create(null) as Record<string, number>);
    counts[key] = (counts[key] ?? 0) + 1;
  }

  /** Response bytes counted apart from a request (engines that report them per iteration, like k6). */
  received(stage: number, atMs: number, bytes: number): void {
    this.bucket(stage, atMs).bytes += bytes;
  }

  /**
   * Samples of every second that ended before `nowMs`, including empty seconds of active
   * stages (a second without answers is evidence too). Returns the new watermark.
   */
  flush(nowMs: number, final = false): { upToSec: number; samples: LoadSample[] } {
    const upTo = final ? Infinity : Math.floor((nowMs - this.originMs) / 1000);
    const elu = this.busy();
    const samples: LoadSample[] = [];
    const lastSec = final ? Math.max(this.flushedUpTo - 1, ...[...this.buckets.values()].map((b) => b.sec)) : upTo - 1;
    for (let sec = this.flushedUpTo; sec <= lastSec; sec++) {
      for (const stage of this.activeStages) this.bucket(stage, this.originMs + sec * 1000 + 1);
      for (const [key, b] of this.buckets) {
        if (b.sec !== sec) continue;
        this.buckets.delete(key);
        samples.push(this.toSample(b, elu));
      }
    }
    // a generator not started yet (stagger) has nothing before its start: its watermark still advances
    this.flushedUpTo = Math.max(this.flushedUpTo, lastSec + 1);
    return { upToSec: final ? Infinity : Math.max(this.flushedUpTo, upTo), samples };
  }

  private toSample(b: Bucket, elu: number): LoadSample {
    const sample: LoadSample = {
      t: this.originMs + b.sec * 1000,
      sec: b.sec,
      generator: this.generator,
      stage: b.stage,
      requests: b.requests,
      ok: b.ok,
      failures: b.failures,
      statusCodes: b.statusCodes,
      bytes: b.bytes,
      sent: b.sent,
      latency: encodeHistogram(b.latency),
      service: encodeHistogram(b.service),
      lagMaxMs: Math.round(b.lagMaxMs * 1000) / 1000,
      elu: Math.round(elu * 1000) / 1000,
    };
    if (b.firstFailureAt !== undefined) sample.firstFailureAt = Math.round(b.firstFailureAt);
    if (b.lastFailureAt !== undefined) sample.lastFailureAt = Math.round(b.lastFailureAt);
    if (b.servedBy) sample.servedBy = b.servedBy;
    if (elu >= SATURATED_ELU) sample.saturated = true;
    return sample;
  }

  private bucket(stage: number, atMs: number): Bucket {
    const last = this.last;
    if (last && last.stage === stage && atMs >= this.lastFromMs && atMs < this.lastFromMs + 1000 && last.sec >= this.flushedUpTo) return last;
    // A completion can land in a second already flushed only through clock skew of a few
    // microseconds at the boundary; it is counted in the first open second instead.
    const sec = Math.max(this.flushedUpTo, Math.floor((atMs - this.originMs) / 1000));
    const key = `${sec}:${stage}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        sec, stage, requests: 0, ok: 0,
        failures: { status: 0, timeout: 0, refused: 0, reset: 0, other: 0 },
        statusCodes: {}, bytes: 0, sent: 0,
        latency: newLatencyHistogram(), service: newLatencyHistogram(), lagMaxMs: 0,
      };
      this.buckets.set(key, b);
    }
    this.last = b;
    this.lastFromMs = this.originMs + sec * 1000;
    return b;
  }
}
