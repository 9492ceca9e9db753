import path from 'node:path';
import { errorMessage, systemClock, type Cancel, type Clock, type Logger } from '../core/index.js';
import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, EventRecord, SinkStatus, TimeseriesRecord } from '../results/index.js';
import { describeInfluxConfig, type InfluxConfig } from './influx-config.js';
import { UniqueTimes, casePoint, clusterEventPoint, clusterPoint, eventPoint, samplePoints, type CrtPoint } from './influx-points.js';
import { SPOOL_FILE, Spool } from './influx-spool.js';
import { InfluxWriter } from './influx-writer.js';
import type { Sink } from './sink.js';

export interface InfluxSinkOptions {
  config: InfluxConfig;
  /** the plan's name, a tag of every point */
  plan: string;
  /** run folder: the spool goes there */
  dir: string;
  log: Logger;
  /** flush period (default 1000 ms) */
  flushIntervalMs?: number;
  /** points per write; a buffer this full is flushed at once (default 5000) */
  batchSize?: number;
  requestTimeoutMs?: number;
  /** what times the flushes (default the system clock) */
  clock?: Clock;
  /** the connection to InfluxDB (default one made from `config`); tests put a fake one here */
  writer?: Pick<InfluxWriter, 'check' | 'write' | 'batchSize'>;
}

/**
 * Streams the run to InfluxDB. Writes only convert and buffer; a timer flushes the buffer in the
 * background, one flush at a time, so the run never waits for InfluxDB. A batch InfluxDB does not take
 * (down, slow, refusing) is appended to `influx-spool.jsonl`; while the spool holds points, new batches
 * go behind them and every flush first tries to replay it, so points reach InfluxDB in order and none
 * is dropped. `close` flushes and replays a last time; what is still spooled then stays in the file for
 * `crt push`. Any outage makes the status `degraded` (everything landed late) or `failed` (points are
 * left in the spool).
 */
export class InfluxSink implements Sink {
  readonly name = 'influx';
  private readonly writer: Pick<InfluxWriter, 'check' | 'write' | 'batchSize'>;
  private readonly clock: Clock;
  private readonly spool: Spool;
  private readonly times = new UniqueTimes();
  private buffer: CrtPoint[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private cancelTick: Cancel | undefined;
  private written = 0;
  private down = false;
  private outages = 0;
  private readonly errors: string[] = [];
  private closed: Promise<void> | null = null;

  constructor(private readonly o: InfluxSinkOptions) {
    this.writer = o.writer ?? new InfluxWriter(o.config, { batchSize: o.batchSize, requestTimeoutMs: o.requestTimeoutMs });
    this.clock = o.clock ?? systemClock;
    this.spool = new Spool(path.join(o.dir, SPOOL_FILE));
  }

  async open(): Promise<void> {
    const { version } = await this.writer.check();
    this.o.log.info({ sink: this.name, ...describeInfluxConfig(this.o.config), version }, 'InfluxDB sink open');
    this.tick();
  }

  /** Flushes every `flushIntervalMs` until close; the timer does not hold the process open. */
  private tick(): void {
    this.cancelTick = this.clock.after(this.o.flushIntervalMs ?? 1000, () => {
      if (this.closed) return;
      this.queueFlush();
      this.tick();
    }, { unref: true });
  }

  writeSamples(records: readonly TimeseriesRecord[]): void {
    this.add(records.flatMap((r) => samplePoints(r, this.o.plan, this.times)));
  }

  writeEvents(records: readonly EventRecord[]): void {
    this.add(records.map((r) => eventPoint(r, this.o.plan, this.times)));
  }

  writeClusterSamples(records: readonly ClusterSampleRecord[]): void {
    this.add(records.map((r) => clusterPoint(r, this.o.plan, this.times)));
  }

  writeClusterEvents(records: readonly ClusterEventRecord[]): void {
    this.add(records.map((r) => clusterEventPoint(r, this.o.plan, this.times)));
  }

  writeCaseResult(run: string, result: CaseResult): void {
    this.add([casePoint(run, this.o.plan, result, this.times)]);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.cancelTick?.();
      this.queueFlush();
      await this.chain;
      if (this.spool.count > 0) {
        this.note(`${this.spool.count} points not written: they are in ${this.spool.file}; replay them with crt push ${this.o.dir}`);
      }
    })();
    return this.closed;
  }

  status(): Omit<SinkStatus, 'name'> {
    const status = this.spool.count > 0 || this.buffer.length > 0 ? 'failed' : this.outages > 0 ? 'degraded' : 'ok';
    return { status, written: this.written, errors: [...this.errors] };
  }

  private add(points: CrtPoint[]): void {
    if (this.closed) return this.note(`${points.length} points arrived after close: not written`);
    for (const p of points) this.buffer.push(p);
    if (this.buffer.length >= this.writer.batchSize) this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.chain = this.chain.then(() => {
      this.flushQueued = false;
      return this.flush();
    });
  }

  /** Never rejects: every failure ends in the spool and in the status. */
  private async flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    try {
      if (this.spool.count > 0 && !(await this.replay())) {
        await this.spool.append(batch);
        return;
      }
      if (batch.length === 0) return;
      try {
        await this.writer.write(batch, (n) => (this.written += n));
        this.up();
      } catch (err) {
        this.fail(err);
        // the batches of a failed write that did land are written again: same series and time, same point
        await this.spool.append(batch);
      }
    } catch (err) {
      // the spool itself failed (disk full...): keep the points in memory for the next flush
      this.buffer = [...batch, ...this.buffer];
      this.note(`spool ${this.spool.file}: ${errorMessage(err)}`);
    }
  }

  /** Writes the spool out, oldest first; true when it is empty afterwards. */
  private async replay(): Promise<boolean> {
    const points = await this.spool.readAll();
    let done = 0;
    try {
      await this.writer.write(points, (n) => {
        done += n;
        this.written += n;
      });
    } catch (err) {
      this.fail(err);
      await this.spool.replace(points.slice(done));
      return false;
    }
    await this.spool.replace([]);
    this.o.log.info({ sink: this.name, replayed: points.length }, 'InfluxDB spool replayed');
    this.up();
    return true;
  }

  private fail(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.outages += 1;
    this.note(`outage ${this.outages}: ${errorMessage(err)} (points spooled to ${SPOOL_FILE}, replayed when InfluxDB answers)`);
    this.o.log.warn({ sink: this.name, url: this.o.config.url, err: errorMessage(err) }, 'InfluxDB write failed: spooling');
  }

  private up(): void {
    if (!this.down) return;
    this.down = false;
    this.o.log.info({ sink: this.name }, 'InfluxDB answers again');
  }

  private note(message: string): void {
    // one line per outage, not per failed flush: a long outage must not grow run.json without bound
    if (this.errors.length < 20) this.errors.push(message);
  }
}
