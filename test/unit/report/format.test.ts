import { expect } from 'chai';
import { formatOffset, formatWindow, uniqueSlugs } from '../../../src/report/format.js';

describe('report/format', () => {
  it('prints offsets signed, in seconds with one decimal', () => {
    expect(formatOffset(30_000)).to.equal('+30.0 s');
    expect(formatOffset(-2_500)).to.equal('−2.5 s');
  });

  it('keeps two decimals for offsets under a second', () => {
    expect(formatOffset(-40)).to.equal('−0.04 s');
    expect(formatOffset(0)).to.equal('+0.0 s');
  });

  it('prints a window in seconds', () => {
    expect(formatWindow(10_000, 20_000)).to.equal('10.0–20.0');
  });

  it('makes file-safe slugs that stay unique when two ids sanitize alike', () => {
    const slugs = uniqueSlugs(['a/b', 'a?b', '../x', 'L-01']);
    expect([...slugs.values()]).to.deep.equal(['a_b', 'a_b-2', 'x', 'L-01']);
  });
});
