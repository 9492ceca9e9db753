import { expect } from 'chai';
import { Backoff, goDuration } from '../../../../src/localcluster/runtime/backoff.js';

describe('Backoff', () => {
  it('restarts a crashing container at once, then after 10 s doubling up to 5 min', () => {
    const backoff = new Backoff();
    const delays: number[] = [];
    let at = 0;
    for (let i = 0; i < 9; i++) {
      const delay = backoff.restartDelay(at);
      delays.push(delay / 1000);
      at += delay + 1000; // each run lasts a second
    }
    expect(delays).to.deep.equal([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts over when a container ran more than twice the cap since its last failure', () => {
    const backoff = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    backoff.restartDelay(0);
    expect(backoff.restartDelay(1000)).to.equal(10_000);
    expect(backoff.restartDelay(1000 + 600_001)).to.equal(0);
    expect(backoff.restartDelay(1000 + 600_002)).to.equal(10_000);
  });

  it('backs off image pulls from the first failure', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 350 });
    expect([backoff.next(0), backoff.next(1), backoff.next(2), backoff.next(3)]).to.deep.equal([100, 200, 350, 350]);
    expect(backoff.current(3)).to.equal(350);
  });
});

describe('goDuration', () => {
  const cases: Array<[number, string]> = [[200, '200ms'], [10_000, '10s'], [80_000, '1m20s'], [300_000, '5m0s'], [1500, '1.5s']];
  for (const [ms, text] of cases) {
    it(`writes ${ms} ms as ${text}`, () => {
      expect(goDuration(ms)).to.equal(text);
    });
  }
});
