import { expect } from 'chai';
import { Redactor, silentLogger } from '../../../src/core/index.js';
import { SinkSet } from '../../../src/metrics/sink-set.js';
import type { Sink } from '../../../src/metrics/sink.js';
import type { EventRecord, SinkStatus } from '../../../src/results/types.js';

/** A sink that keeps what it gets; `broken` makes every write and close throw. */
class MemorySink implements Sink {
  readonly events: EventRecord[] = [];
  closes = 0;
  constructor(readonly name: string, private readonly broken = false) {}
  writeSamples(): void {
    if (this.broken) throw new Error('write refused');
  }
  writeEvents(records: readonly EventRecord[]): void {
    if (this.broken) throw new Error('write refused');
    this.events.push(...records);
  }
  async close(): Promise<void> {
    this.closes++;
    if (this.broken) throw new Error('close refused');
  }
  status(): Omit<SinkStatus, 'name'> {
    return { status: 'ok', written: this.events.length, errors: [] };
  }
}

function event(detail: string): EventRecord {
  return { t: 0, offsetMs: 0, kind: 'note', detail, run: 'run-1', case: 'case-1', layer: 'logical' };
}

describe('SinkSet', () => {
  it('records a sink that throws and keeps writing to the others', () => {
    const good = new MemorySink('good');
    const set = new SinkSet([new MemorySink('broken', true), good], silentLogger);
    set.writeEvents([event('a')]);
    set.writeEvents([event('b')]);
    expect(good.events.map((e) => e.detail)).to.deep.equal(['a', 'b']);
    expect(set.status()).to.deep.equal([
      { name: 'broken', status: 'failed', written: 0, errors: ['writeEvents: write refused', 'writeEvents: write refused'] },
      { name: 'good', status: 'ok', written: 2, errors: [] },
    ]);
  });

  it('keeps the first 20 failures of a sink failing at every write', () => {
    const set = new SinkSet([new MemorySink('broken', true)], silentLogger);
    for (let i = 0; i < 50; i++) set.writeEvents([event(String(i))]);
    expect(set.status()[0]?.errors).to.have.length(20);
  });

  it('closes every sink once, however often close is called, and records a close that fails', async () => {
    const good = new MemorySink('good');
    const broken = new MemorySink('broken', true);
    const set = new SinkSet([broken, good], silentLogger);
    await Promise.all([set.close(), set.close()]);
    await set.close();
    expect([broken.closes, good.closes]).to.deep.equal([1, 1]);
    expect(set.status()[0]?.errors).to.deep.equal(['close: close refused']);
  });

  it('masks the run\'s secrets before any sink sees a record', () => {
    const good = new MemorySink('good');
    const redactor = new Redactor();
    redactor.add('s3cr3t-token');
    const set = new SinkSet([good], silentLogger, redactor);
    set.writeEvents([event('Authorization: Bearer s3cr3t-token')]);
    expect(good.events[0]?.detail).to.not.include('s3cr3t-token');
  });
});
