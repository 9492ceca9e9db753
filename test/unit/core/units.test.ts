import { expect } from 'chai';
import { formatDuration, formatPercent, isDuration, isPercent, parseDuration, parsePercent } from '../../../src/core/units.js';

describe('units', () => {
  describe('parseDuration', () => {
    const cases: Array<[string, number]> = [
      ['500ms', 500],
      ['30s', 30_000],
      ['2m30s', 150_000],
      ['1h', 3_600_000],
      ['1h30m', 5_400_000],
      ['1h1m1s', 3_661_000],
      ['1.5s', 1500],
      ['0.5ms', 0.5],
      ['1m500ms', 60_500],
      ['0s', 0],
    ];
    for (const [text, ms] of cases) {
      it(`reads ${text} as ${ms} ms`, () => {
        expect(parseDuration(text)).to.equal(ms);
      });
    }

    it('reads a bare zero, as a string or a number, as 0', () => {
      expect(parseDuration('0')).to.equal(0);
      expect(parseDuration(0)).to.equal(0);
    });

    it('keeps sub-millisecond sums exact to the microsecond', () => {
      expect(parseDuration('0.1s')).to.equal(100);
      expect(parseDuration('1.001s')).to.equal(1001);
    });

    for (const bad of ['', '10', '10 s', '5x', '-1s', 's', 'ms', '.5s', '1.s', '1d', '1S', ' 1s', '1s ']) {
      it(`rejects ${JSON.stringify(bad)}`, () => {
        expect(isDuration(bad)).to.equal(false);
        expect(() => parseDuration(bad)).to.throw(TypeError, 'not a duration');
      });
    }

    it('rejects a number other than 0: it has no unit', () => {
      expect(() => parseDuration(60)).to.throw(TypeError, 'not a duration: 60');
    });
  });

  describe('formatDuration', () => {
    const cases: Array<[number, string]> = [
      [0, '0ms'],
      [1.234, '1.23ms'],
      [12.34, '12.3ms'],
      [500, '500ms'],
      [999, '999ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [59_000, '59s'],
      [60_000, '1m'],
      [90_000, '1m30s'],
      [150_000, '2m30s'],
      [3_600_000, '1h'],
      [3_660_000, '1h1m'],
      [3_601_000, '1h1s'],
      [-1500, '-1.5s'],
    ];
    for (const [ms, text] of cases) {
      it(`shows ${ms} ms as ${text}`, () => {
        expect(formatDuration(ms)).to.equal(text);
      });
    }

    it('shows non-finite values as they are', () => {
      expect(formatDuration(Infinity)).to.equal('Infinity');
      expect(formatDuration(NaN)).to.equal('NaN');
    });

    it('round-trips through parseDuration for whole seconds and short durations', () => {
      for (const ms of [0, 1, 250, 500, 999, 1000, 1500, 30_000, 59_000, 60_000, 61_000, 150_000, 3_599_000, 3_600_000, 5_400_000, 86_400_000]) {
        expect(parseDuration(formatDuration(ms)), formatDuration(ms)).to.equal(ms);
      }
    });

    it('writes back what was read, in canonical form', () => {
      for (const text of ['500ms', '30s', '1.5s', '2m30s', '1h', '1h1m1s', '10m']) {
        expect(formatDuration(parseDuration(text))).to.equal(text);
      }
      expect(formatDuration(parseDuration('90s'))).to.equal('1m30s');
      expect(formatDuration(parseDuration('60m'))).to.equal('1h');
    });
  });

  describe('parsePercent', () => {
    it('reads percentages as ratios', () => {
      expect(parsePercent('1%')).to.equal(0.01);
      expect(parsePercent('0.5%')).to.equal(0.005);
      expect(parsePercent('50%')).to.equal(0.5);
      expect(parsePercent('100%')).to.equal(1);
      expect(parsePercent('0%')).to.equal(0);
      expect(parsePercent('99.9%')).to.be.closeTo(0.999, 1e-12);
    });

    for (const bad of ['0.01', '1', '1 %', '-1%', '%', '1.%', '.5%', '1%%', '']) {
      it(`rejects ${JSON.stringify(bad)}`, () => {
        expect(isPercent(bad)).to.equal(false);
        expect(() => parsePercent(bad)).to.throw(TypeError, 'not a percentage');
      });
    }

    it('round-trips through formatPercent', () => {
      for (const text of ['0%', '1%', '0.5%', '1.25%', '12.5%', '99%', '99.9%', '100%']) {
        expect(formatPercent(parsePercent(text))).to.equal(text);
      }
    });
  });
});
