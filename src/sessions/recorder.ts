import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { encodeHistogram, newLatencyHistogram, type Histogram } from '../results/index.js';
import type { LoadSample } from '../results/index.js';
import type { EndClass } from './connection.js';

interface Bucket {
  sec: number;
  requests: number;
  ok: number;
  lostTimeout: number;
  lostReset: number;
  bytes: number;
  sent: number;
  rtt: Histogram;
  service: Histogram;
  lagMaxMs: number;
  firstFailureAt?: number;
  lastFailureAt?: number;
  opened: number;
  dropped: { closed: number; reset: number; timeout: number };
  asked: number;
  reconnects: number;
  failedAttempts: number;
  reconnectTime: Histogram;
}

const us = (ms: number): number => Math.max(0, Math.round(ms * 1000));

/**
 * Per-second measurements of the sessions of one generator, as load samples: a message is a
 * request (answered: ok; lost: a timeout or a reset), its round-trip from its intended send
 * time is the latency; the sessions themselves go in `sessions`.
 */
export class SessionRecorder {
  private readonly buckets = new Map<number, Bucket>();
  private flushedUpTo = 0;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly originMs: number,
    private readonly generator: number,
  ) {}

  sent(atMs: number, lagMs: number): void {
    const b = this.bucket(atMs);
    b.sent++;
    b.lagMaxMs = Math.max(b.lagMaxMs, lagMs);
  }

  answered(atMs: number, intendedMs: number, sentMs: number, bytes: number): void {
    const b = this.bucket(atMs);
    b.requests++;
    b.ok++;
    b.bytes += bytes;
    b.rtt.recordValue(us(atMs - intendedMs));
    b.service.recordValue(us(atMs - sentMs));
  }

  lost(atMs: number, intendedMs: number, cls: 'timeout' | 'reset'): void {
    const b = this.bucket(atMs);
    b.requests++;
    if (cls === 'timeout') b.lostTimeout++;
    else b.lostReset++;
    b.rtt.recordValue(us(atMs - intendedMs));
    b.firstFailureAt ??= atMs;
    b.lastFailureAt = atMs;
  }

  /** A session was established; `afterMs`: time since the one it replaces ended (null: a first open). */
  opened(atMs: number, afterMs: number | null): void {
    const b = this.bucket(atMs);
    b.opened++;
    if (afterMs === null) return;
    b.reconnects++;
    b.reconnectTime.recordValue(us(afterMs));
  }

  ended(atMs: number, kind: EndClass): void {
    const b = this.bucket(atMs);
    if (kind === 'asked') b.asked++;
    else b.dropped[kind]++;
  }

  failedAttempt(atMs: number): void {
    this.bucket(atMs).failedAttempts++;
  }

  /** Samples of every second ended before `nowMs` (every one when `final`), each with the sessions alive at its end. */
  flush(nowMs: number, state: { alive: number; expected: number }, final = false): { upToSec: number; samples: LoadSample[] } {
    const upTo = final ? Math.max(this.flushedUpTo, ...this.buckets.keys()) + 1 : Math.floor((nowMs - this.originMs) / 1000);
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const samples: LoadSample[] = [];
    for (let sec = this.flushedUpTo; sec < upTo; sec++) {
      const b = this.buckets.get(sec) ?? this.bucket(this.originMs + sec * 1000);
      this.buckets.delete(sec);
      samples.push(this.toSample(b, state, elu.utilization));
    }
    this.flushedUpTo = Math.max(this.flushedUpTo, upTo);
    return { upToSec: final ? Infinity : this.flushedUpTo, samples };
  }

  private toSample(b: Bucket, state: { alive: number; expected: number }, elu: number): LoadSample {
    const sample: LoadSample = {
      t: this.originMs + b.sec * 1000,
      sec: b.sec,
      generator: this.generator,
      stage: 0,
      requests: b.requests,
      ok: b.ok,
      failures: { status: 0, timeout: b.lostTimeout, refused: 0, reset: b.lostReset, other: 0 },
      statusCodes: {},
      bytes: b.bytes,
      sent: b.sent,
      latency: encodeHistogram(b.rtt),
      service: encodeHistogram(b.service),
      lagMaxMs: Math.round(b.lagMaxMs * 1000) / 1000,
      elu: Math.round(elu * 1000) / 1000,
      sessions: {
        alive: state.alive, expected: state.expected, opened: b.opened, dropped: b.dropped, asked: b.asked,
        reconnects: b.reconnects, failedAttempts: b.failedAttempts, reconnectTime: encodeHistogram(b.reconnectTime),
      },
    };
    if (b.firstFailureAt !== undefined) sample.firstFailureAt = Math.round(b.firstFailureAt);
    if (b.lastFailureAt !== undefined) sample.lastFailureAt = Math.round(b.lastFailureAt);
    return sample;
  }

  private bucket(atMs: number): Bucket {
    // an event at the edge of a second already flushed counts in the first open one
    const sec = Math.max(this.flushedUpTo, Math.floor((atMs - this.originMs) / 1000));
    let b = this.buckets.get(sec);
    if (!b) {
      b = {
        sec, requests: 0, ok: 0, lostTimeout: 0, lostReset: 0, bytes: 0, sent: 0, rtt: newLatencyHistogram(), service: newLatencyHistogram(), lagMaxMs: 0,
        opened: 0, dropped: { closed: 0, reset: 0, timeout: 0 }, asked: 0, reconnects: 0, failedAttempts: 0, reconnectTime: newLatencyHistogram(),
      };
      this.buckets.set(sec, b);
    }
    return b;
  }
}
