import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../core/index.js';
import { RUN_FILES, type ClusterEventRecord, type ClusterSampleRecord, type EventRecord, type SinkStatus, type TimeseriesRecord } from '../results/index.js';
import type { Sink } from './sink.js';

/**
 * `timeseries.jsonl`, `events.jsonl` and `cluster.jsonl` in the run folder: one JSON object per line, appended
 * as the run goes, so a crashed run still leaves its data. `crt report` re-renders from them.
 */
export class FileSink implements Sink {
  readonly name = 'files';
  private readonly samples: WriteStream;
  private readonly events: WriteStream;
  /** created with the first cluster sample: runs without a cluster have no cluster.jsonl */
  private cluster: WriteStream | null = null;
  private written = 0;
  private readonly errors: string[] = [];
  private closed: Promise<void> | null = null;

  constructor(private readonly dir: string) {
    this.samples = this.createStream(path.join(dir, RUN_FILES.timeseries));
    this.events = this.createStream(path.join(dir, RUN_FILES.events));
  }

  writeSamples(records: readonly TimeseriesRecord[]): void {
    if (records.length === 0) return;
    this.samples.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.written += records.length;
  }

  writeEvents(records: readonly EventRecord[]): void {
    if (records.length === 0) return;
    this.events.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.written += records.length;
  }

  writeClusterSamples(records: readonly ClusterSampleRecord[]): void {
    this.writeCluster(records);
  }

  /** Key Kubernetes Events go in cluster.jsonl too (`kind: event`), in the order the watch saw them. */
  writeClusterEvents(records: readonly ClusterEventRecord[]): void {
    this.writeCluster(records);
  }

  private writeCluster(records: ReadonlyArray<ClusterSampleRecord | ClusterEventRecord>): void {
    if (records.length === 0) return;
    this.cluster ??= this.createStream(path.join(this.dir, RUN_FILES.cluster));
    this.cluster.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.written += records.length;
  }

  close(): Promise<void> {
    this.closed ??= Promise.all([this.samples, this.events, ...(this.cluster ? [this.cluster] : [])].map((s) => new Promise<void>((resolve) => s.end(resolve)))).then(() => undefined);
    return this.closed;
  }

  status(): Omit<SinkStatus, 'name'> {
    return { status: this.errors.length ? 'failed' : 'ok', written: this.written, errors: [...this.errors] };
  }

  private createStream(file: string): WriteStream {
    const stream = createWriteStream(file, { flags: 'a' });
    stream.on('error', (err) => this.errors.push(`${path.basename(file)}: ${errorMessage(err)}`));
    return stream;
  }
}
