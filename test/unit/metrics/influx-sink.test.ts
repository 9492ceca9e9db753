import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { InfluxSink } from '../../../src/metrics/influx-sink.js';
import type { CrtPoint } from '../../../src/metrics/influx-points.js';
import { SPOOL_FILE } from '../../../src/metrics/influx-spool.js';
import type { EventRecord } from '../../../src/results/types.js';
import { ManualClock, settle } from '../../helpers/manual-clock.js';
import { tempDir } from '../../helpers/tmp.js';

/** InfluxDB reduced to what the sink calls: it records each write (one call per flush or replay), or refuses it while `down`. */
class FakeWriter {
  readonly batchSize: number;
  down = false;
  /** the `text` field of every point of each write InfluxDB took, in order */
  readonly writes: string[][] = [];
  attempts = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(batchSize = 100) {
    this.batchSize = batchSize;
  }

  async check(): Promise<{ version: string }> {
    return { version: 'fake' };
  }

  async write(points: readonly CrtPoint[], onBatch?: (n: number) => void): Promise<void> {
    this.attempts++;
    this.wake();
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8086');
    this.writes.push(points.map((p) => String(p.fields.text)));
    onBatch?.(points.length);
    this.wake();
  }

  /** Resolves once `n` write attempts were made: waits on the sink's work, not on time. */
  attempted(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ n, resolve });
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.filter((x) => this.attempts >= x.n)) w.resolve();
    this.waiters = this.waiters.filter((x) => this.attempts < x.n);
  }
}

function event(text: string): EventRecord {
  return { t: Date.parse('2026-12-07T12:00:00Z'), offsetMs: 0, kind: 'note', detail: text, run: 'run-1', case: 'case-1', layer: 'logical' };
}

describe('InfluxSink on a manual clock', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  let clock: ManualClock;
  let writer: FakeWriter;
  let sink: InfluxSink;

  const open = async (batchSize = 100): Promise<void> => {
    writer = new FakeWriter(batchSize);
    sink = new InfluxSink({ config: { url: 'http://127.0.0.1:8086', database: 'crt' }, plan: 'p', dir: tmp.dir, log: silentLogger, clock, writer, flushIntervalMs: 1000 });
    await sink.open();
  };

  beforeEach(async () => {
    tmp = await tempDir();
    clock = new ManualClock();
  });

  afterEach(async () => {
    await sink.close();
    await tmp.remove();
  });

  it('buffers writes and flushes them every flushIntervalMs, not before', async () => {
    await open();
    sink.writeEvents([event('a'), event('b')]);
    await clock.advance(999);
    expect(writer.attempts, 'nothing written before the first period').to.equal(0);
    await clock.advance(1);
    await writer.attempted(1);
    expect(writer.writes).to.deep.equal([['a', 'b']]);
    sink.writeEvents([event('c')]);
    await clock.advance(1000);
    await writer.attempted(2);
    expect(writer.writes).to.deep.equal([['a', 'b'], ['c']]);
    expect(sink.status()).to.deep.equal({ status: 'ok', written: 3, errors: [] });
  });

  it('flushes a full batch at once, without waiting for the period', async () => {
    await open(3);
    sink.writeEvents([event('a'), event('b')]);
    await settle();
    expect(writer.attempts).to.equal(0);
    sink.writeEvents([event('c')]);
    await writer.attempted(1);
    expect(writer.writes).to.deep.equal([['a', 'b', 'c']]);
    expect(clock.mono, 'no time passed').to.equal(5_000);
  });

  it('keeps a refused batch in the spool, writes it before newer points once InfluxDB answers, and reports the outage', async () => {
    await open();
    writer.down = true;
    sink.writeEvents([event('a')]);
    await clock.advance(1000);
    await writer.attempted(1);
    sink.writeEvents([event('b')]);
    await clock.advance(1000);
    await writer.attempted(2);
    expect(writer.writes, 'nothing landed while down').to.deep.equal([]);
    writer.down = false;
    sink.writeEvents([event('c')]);
    await clock.advance(1000);
    await writer.attempted(4);
    expect(writer.writes, 'the spool replayed first, then the new points').to.deep.equal([['a', 'b'], ['c']]);
    await sink.close();
    expect(await readFile(path.join(tmp.dir, SPOOL_FILE), 'utf8'), 'the spool is emptied').to.equal('');
    const status = sink.status();
    expect(status).to.include({ status: 'degraded', written: 3 });
    expect(status.errors).to.have.length(1);
    expect(status.errors[0]).to.match(/^outage 1: connect ECONNREFUSED 127\.0\.0\.1:8086/);
  });

  it('close flushes what is buffered and stops flushing; what InfluxDB still refuses stays in the spool for crt push', async () => {
    await open();
    sink.writeEvents([event('a')]);
    writer.down = true;
    await sink.close();
    expect(clock.pending, 'no flush timer left').to.equal(0);
    const spooled = (await readFile(path.join(tmp.dir, SPOOL_FILE), 'utf8')).trim().split('\n');
    expect(spooled.map((l) => (JSON.parse(l) as CrtPoint).fields.text)).to.deep.equal(['a']);
    sink.writeEvents([event('late')]);
    await clock.advance(10_000);
    expect(writer.attempts, 'the close flush only').to.equal(1);
    const status = sink.status();
    expect(status.status).to.equal('failed');
    expect(status.errors.at(-2)).to.equal(`1 points not written: they are in ${path.join(tmp.dir, SPOOL_FILE)}; replay them with crt push ${tmp.dir}`);
    expect(status.errors.at(-1)).to.equal('1 points arrived after close: not written');
  });
});
