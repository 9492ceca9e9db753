import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import type { FaultContext } from '../../../src/faults/index.js';
import { startRepeat } from '../../../src/faults/pod-kill-repeat.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const context = (clock: ManualClock, signal = new AbortController().signal): FaultContext =>
  ({ runId: 'r', caseId: 'C', step: 'kill', clock, log: silentLogger, signal, planDir: '.' });

describe('pod-kill repeat: a live handle, no process-wide state', () => {
  it('kills at each interval until its handle is stopped, then never again; a second stop says the same', async () => {
    const clock = new ManualClock();
    const rounds: number[] = [];
    const live = startRepeat(context(clock), 1000, async (n) => (rounds.push(n), [`pod-${n}`]));
    await clock.advance(2500);
    expect(rounds).to.deep.equal([1, 2]);
    const said = await live.stop();
    expect(said).to.equal('stopped the repeat after 2 more round(s), 2 more pod(s) killed');
    await clock.advance(5000);
    expect(rounds, 'no round after the stop').to.deep.equal([1, 2]);
    expect(await live.stop()).to.equal(said);
  });

  it('keeps two repeats of the same run, case and step apart: stopping one leaves the other killing', async () => {
    const clock = new ManualClock();
    const a: number[] = [];
    const b: number[] = [];
    const first = startRepeat(context(clock), 1000, async (n) => (a.push(n), []));
    const second = startRepeat(context(clock), 1000, async (n) => (b.push(n), []));
    await clock.advance(1000);
    expect(await first.stop()).to.equal('stopped the repeat after 1 more round(s), 0 more pod(s) killed');
    await clock.advance(2000);
    expect(a).to.deep.equal([1]);
    expect(b).to.deep.equal([1, 2, 3]);
    await second.stop();
  });

  it('counts a failed round and goes on; the run\'s signal ends the loop too', async () => {
    const clock = new ManualClock();
    const run = new AbortController();
    let n = 0;
    const live = startRepeat(context(clock, run.signal), 1000, async () => {
      if (++n === 1) throw new Error('API hiccup');
      return ['p'];
    });
    await clock.advance(2000);
    run.abort();
    await clock.advance(3000);
    expect(n).to.equal(2);
    expect(await live.stop()).to.equal('stopped the repeat after 2 more round(s), 1 more pod(s) killed, 1 round(s) failed');
  });
});
