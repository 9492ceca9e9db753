import { SERVED_BY_NONE, type FailureClass, type LoadSample } from '../../results/index.js';
import { Recorder } from '../recorder.js';
import { SERVED_BY_METRIC } from './script.js';

/** One line of `k6 run --out json=...` (k6's documented NDJSON format). */
export type K6JsonLine =
  | { type: 'Metric'; metric: string; data: { type: string; contains: string; thresholds?: string[] } }
  | { type: 'Point'; metric: string; data: { time: string; value: number; tags: Record<string, string> | null } };

/**
 * k6 error codes (k6 docs, "Error codes") → crt failure classes: 1050 request timeout and
 * 1211 dial timeout are timeouts, 1212 a refused connection, 1220 and 1201 a reset or broken
 * connection; anything else without a response is `other`.
 */
export function failureOfErrorCode(code: number): FailureClass {
  if (code === 1050 || code === 1211) return 'timeout';
  if (code === 1212) return 'refused';
  if (code === 1220 || code === 1201) return 'reset';
  return 'other';
}

/**
 * Epoch ms of a k6 timestamp (RFC 3339 with up to nanoseconds and a zone offset), keeping
 * the sub-millisecond part that `Date.parse` drops.
 */
export function parseK6Time(time: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const fraction = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + fraction;
}

/**
 * Turns the points of k6's JSON output into crt's per-second samples, for one generator.
 *
 * What is measured: each `http_req_duration` point is one completed request, counted in the
 * second of its timestamp (k6 stamps HTTP points at the end of the request). Its value is
 * k6's request duration: sending + waiting + receiving, WITHOUT DNS lookup, connection and
 * TLS handshake time, and from the moment k6 actually sent it, not from an intended send time.
 * It is recorded as both latency and service time (k6 does not expose the schedule). Status
 * and failures come from the point's `status`, `expected_response` and `error_code` tags;
 * `data_received` points give the bytes; `crt_served_by` points (the generated script's
 * Counter, with servedBy) count the answers by their `served_by` tag.
 */
export class K6SampleBuilder {
  private readonly recorder: Recorder;
  private readonly seenStages = new Set<number>();
  /** lines that were not JSON, for the error message when nothing else was understood */
  badLines = 0;
  points = 0;

  constructor(originMs: number, private readonly generator: number, private readonly onStage?: (stage: number, atMs: number) => void) {
    // crt's own thread is not k6's: it never marks a second saturated
    this.recorder = new Recorder(originMs, generator, originMs, () => 0);
  }

  /** Feeds one NDJSON line; lines of other metrics are ignored. */
  addLine(line: string): void {
    if (line.trim() === '') return;
    let parsed: K6JsonLine;
    try {
      parsed = JSON.parse(line) as K6JsonLine;
    } catch {
      this.badLines++;
      return;
    }
    if (parsed.type !== 'Point') return;
    if (parsed.metric === 'http_req_duration') this.request(parsed.data);
    else if (parsed.metric === SERVED_BY_METRIC) this.served(parsed.data);
    else if (parsed.metric === 'data_received') {
      const at = parseK6Time(parsed.data.time);
      if (Number.isFinite(at)) this.recorder.received(this.stageOf(parsed.data.tags, at), at, parsed.data.value);
    }
  }

  private request(data: { time: string; value: number; tags: Record<string, string> | null }): void {
    const at = parseK6Time(data.time);
    if (!Number.isFinite(at)) {
      this.badLines++;
      return;
    }
    this.points++;
    const tags = data.tags ?? {};
    const stage = this.stageOf(tags, at);
    const sentAt = at - data.value;
    this.recorder.sent(stage, sentAt, 0);
    const status = Number(tags.status ?? 0);
    const errorCode = Number(tags.error_code ?? 0);
    if (status > 0) {
      // without a response callback k6 still tags expected_response (200-399 by default)
      const ok = tags.expected_response !== undefined ? tags.expected_response === 'true' : status >= 200 && status < 400;
      this.recorder.record(stage, at, sentAt, sentAt, { kind: 'response', status, ok, bytes: 0 });
    } else {
      this.recorder.record(stage, at, sentAt, sentAt, { kind: errorCode ? failureOfErrorCode(errorCode) : 'other' });
    }
  }

  private served(data: { time: string; value: number; tags: Record<string, string> | null }): void {
    const at = parseK6Time(data.time);
    if (!Number.isFinite(at)) {
      this.badLines++;
      return;
    }
    const stage = this.stageOf(data.tags, at);
    const value = data.tags?.served_by || SERVED_BY_NONE;
    for (let i = 0; i < data.value; i++) this.recorder.served(stage, at, value);
  }

  private stageOf(tags: Record<string, string> | null, atMs: number): number {
    const stage = Number(tags?.stage ?? 0);
    const s = Number.isInteger(stage) && stage >= 0 ? stage : 0;
    if (!this.seenStages.has(s)) {
      this.seenStages.add(s);
      for (const earlier of this.seenStages) if (earlier < s) this.recorder.stageActive(earlier, false);
      this.recorder.stageActive(s, true);
      this.onStage?.(s, atMs);
    }
    return s;
  }

  /**
   * Samples of the seconds that ended before `nowMs` (pass a time some seconds back: k6
   * writes its output in batches), or of every second when `final`. The event-loop figure
   * is crt's own thread, not k6's, so it is reported as 0.
   */
  flush(nowMs: number, final = false): { type: 'samples'; generator: number; upToSec: number; samples: LoadSample[] } {
    if (final) for (const s of this.seenStages) this.recorder.stageActive(s, false);
    const out = this.recorder.flush(nowMs, final);
    return { type: 'samples', generator: this.generator, upToSec: out.upToSec, samples: out.samples };
  }
}
