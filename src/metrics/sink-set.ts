import { Redactor, errorMessage, type Logger } from '../core/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, EventRecord, SinkStatus, TimeseriesRecord } from '../results/index.js';
import type { Sink } from './sink.js';

/**
 * The one wrapper every call into a sink goes through: a sink that throws is recorded in the
 * results (and logged) and the others carry on. `close` is idempotent. Records pass through
 * `redactor` first, so no sink (files, InfluxDB points, the spool) gets a secret of the run.
 */
export class SinkSet {
  private readonly failures = new Map<string, string[]>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly sinks: readonly Sink[],
    private readonly log: Logger,
    private readonly redactor = new Redactor(),
  ) {}

  /** Opens every sink; unlike writes, a failure here is returned to the caller (exit 3 before anything runs). */
  async open(): Promise<void> {
    for (const s of this.sinks) await s.open?.();
  }

  writeSamples(samples: readonly TimeseriesRecord[]): void {
    // the histograms are opaque base64 (and long): no secret is in them, and masking a chance match would corrupt them
    const records = samples.map(({ latency, service, ...rest }) => ({ ...this.redactor.value(rest), latency, service }));
    for (const s of this.sinks) this.guard(s, 'writeSamples', () => s.writeSamples(records));
  }

  writeEvents(events: readonly EventRecord[]): void {
    const records = this.redactor.value(events);
    for (const s of this.sinks) this.guard(s, 'writeEvents', () => s.writeEvents(records));
  }

  writeClusterSamples(samples: readonly ClusterSampleRecord[]): void {
    const records = this.redactor.value(samples);
    for (const s of this.sinks) if (s.writeClusterSamples) this.guard(s, 'writeClusterSamples', () => s.writeClusterSamples?.(records));
  }

  writeClusterEvents(events: readonly ClusterEventRecord[]): void {
    const records = this.redactor.value(events);
    for (const s of this.sinks) if (s.writeClusterEvents) this.guard(s, 'writeClusterEvents', () => s.writeClusterEvents?.(records));
  }

  writeCaseResult(run: string, caseResult: CaseResult): void {
    const result = this.redactor.value(caseResult);
    for (const s of this.sinks) if (s.writeCaseResult) this.guard(s, 'writeCaseResult', () => s.writeCaseResult?.(run, result));
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(
      this.sinks.map((s) => s.close().catch((err: unknown) => this.fail(s, 'close', err))),
    ).then(() => undefined);
    return this.closing;
  }

  status(): SinkStatus[] {
    return this.sinks.map((s) => {
      let own: Omit<SinkStatus, 'name'>;
      try {
        own = s.status();
      } catch (err) {
        own = { status: 'failed', written: 0, errors: [`status: ${errorMessage(err)}`] };
      }
      const extra = this.failures.get(s.name) ?? [];
      return { name: s.name, ...own, status: extra.length ? 'failed' : own.status, errors: [...own.errors, ...extra] };
    });
  }

  private guard(s: Sink, op: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(s, op, err);
    }
  }

  private fail(s: Sink, op: string, err: unknown): void {
    const list = this.failures.get(s.name) ?? [];
    // keep the first failures, count the rest: a sink failing every second must not grow without bound
    if (list.length < 20) list.push(`${op}: ${errorMessage(err)}`);
    this.failures.set(s.name, list);
    this.log.warn({ sink: s.name, op, err: errorMessage(err) }, 'sink failed');
  }
}
