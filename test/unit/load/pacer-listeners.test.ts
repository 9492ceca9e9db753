import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { Pacer, type AutocannonClient } from '../../../src/load/autocannon/pacer.js';
import { Recorder } from '../../../src/load/recorder.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** The Client surface the pacer drives, without sockets: each request is recorded as sent. */
class FakeClient extends EventEmitter implements AutocannonClient {
  destroyed = false;
  conn?: unknown;
  writes = 0;
  _connect(): void {
    this.conn = {};
    this._doRequest();
  }
  _doRequest(): void {
    this.writes++;
  }
  _destroyConnection(): void {
    this.conn = undefined;
  }
}

describe('Pacer: one record per answer', () => {
  it('detaches the response listeners autocannon added after setupClient, keeps its own, and records each answer once', async () => {
    const clock = new ManualClock();
    const origin = clock.now();
    const recorder = new Recorder(origin, 0, origin, () => 0);
    const pacer = new Pacer({ stage: 0, rateRps: null, maxRequests: null, timeoutMs: 60_000, okStatus: [[200, 299]], servedBy: null, clock, recorder });
    const client = new FakeClient();
    pacer.attach(client);
    let autocannonCounted = 0;
    // what autocannon's run() does right after the Client constructor returns
    client.on('response', () => autocannonCounted++);
    client._connect();
    pacer.begin(origin, origin + 10_000);
    expect(client.writes).to.equal(1);
    await clock.advance(2);
    client.emit('headers', { shouldKeepAlive: true });
    client.emit('response', 200, 10);
    void pacer.stop();
    expect(autocannonCounted).to.equal(0);
    expect(client.listenerCount('response')).to.equal(1);
    const [s] = recorder.flush(origin + 1010).samples;
    expect(s).to.include({ requests: 1, ok: 1, bytes: 10 });
    expect(s?.statusCodes).to.deep.equal({ 200: 1 });
  });
});
