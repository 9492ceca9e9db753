import { expect } from 'chai';
import { silentLogger } from '../../../../src/core/index.js';
import { WorkQueue } from '../../../../src/localcluster/controllers/work-queue.js';
import { ManualClock, settle } from './harness.js';

describe('WorkQueue', () => {
  let clock: ManualClock;
  let queue: WorkQueue;
  let synced: string[];
  let failing: Set<string>;

  beforeEach(() => {
    clock = new ManualClock();
    synced = [];
    failing = new Set();
    queue = new WorkQueue({
      name: 'test', log: silentLogger, timers: clock, resyncMs: 30_000, keys: () => ['a', 'b'],
      sync: (key) => {
        synced.push(key);
        if (failing.has(key)) throw new Error(`${key} failed`);
      },
    }, clock.now);
    queue.start();
  });

  afterEach(() => queue.stop());

  it('coalesces a key added several times before it runs', async () => {
    queue.add('a');
    queue.add('b');
    queue.add('a');
    await settle();
    expect(synced).to.deep.equal(['a', 'b']);
  });

  it('runs the sync in a microtask, before any I/O', async () => {
    queue.add('a');
    await Promise.resolve();
    expect(synced).to.deep.equal(['a']);
  });

  it('retries a failing key with growing backoff', async () => {
    failing.add('a');
    queue.add('a');
    await settle();
    await clock.advance(5);
    await settle();
    await clock.advance(5);
    await settle();
    expect(synced).to.deep.equal(['a', 'a']);
    await clock.advance(5);
    await settle();
    expect(synced).to.deep.equal(['a', 'a', 'a']);
  });

  it('keeps the earlier of two delays for the same key', async () => {
    queue.addAfter('a', 1000);
    queue.addAfter('a', 5000);
    await clock.advance(1000);
    await settle();
    expect(synced).to.deep.equal(['a']);
    await clock.advance(4000);
    await settle();
    expect(synced).to.deep.equal(['a']);
  });

  it('re-syncs every key periodically', async () => {
    await clock.advance(30_000);
    await settle();
    await clock.advance(30_000);
    await settle();
    expect(synced).to.deep.equal(['a', 'b', 'a', 'b']);
  });

  it('does nothing once stopped', async () => {
    queue.addAfter('a', 10);
    queue.add('b');
    queue.stop();
    await clock.advance(60_000);
    await settle();
    expect(synced).to.deep.equal([]);
  });
});
