import { expect } from 'chai';
import { ProbeCounter } from '../../../../src/localcluster/runtime/probe-loop.js';
import { parseQuantity } from '../../../../src/core/quantity.js';

describe('ProbeCounter', () => {
  it('turns ready only after successThreshold successes in a row', () => {
    const readiness = new ProbeCounter(false, 2, 3);
    expect([readiness.record(true), readiness.record(false), readiness.record(true), readiness.record(true)]).to.deep.equal([undefined, undefined, undefined, true]);
    expect(readiness.healthy).to.equal(true);
  });

  it('turns unhealthy only after failureThreshold failures in a row', () => {
    const liveness = new ProbeCounter(true, 1, 3);
    const results = [false, false, true, false, false, false].map((ok) => liveness.record(ok));
    expect(results).to.deep.equal([undefined, undefined, undefined, undefined, undefined, false]);
  });

  it('reports each flip once', () => {
    const readiness = new ProbeCounter(false, 1, 1);
    expect([true, true, false, false, true].map((ok) => readiness.record(ok))).to.deep.equal([true, undefined, false, undefined, true]);
  });
});

describe('parseQuantity', () => {
  const cases: Array<[string | number, number | undefined]> = [
    ['500m', 0.5], ['2', 2], ['1.5', 1.5], ['128Mi', 128 * 2 ** 20], ['1G', 1e9], ['1e3', 1000], ['100k', 1e5], [3, 3], ['lots', undefined], ['1Qi', undefined],
  ];
  for (const [text, value] of cases) {
    it(`reads ${text} as ${value}`, () => {
      expect(parseQuantity(text)).to.equal(value);
    });
  }
});
