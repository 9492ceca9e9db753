import { expect } from 'chai';
import { SecondAssembler } from '../../../src/runner/seconds.js';
import { sample } from '../../helpers/samples.js';

describe('SecondAssembler', () => {
  it('releases a second only when every running generator has reported past it', () => {
    const a = new SecondAssembler(2);
    expect(a.add({ type: 'samples', generator: 0, upToSec: 1, samples: [sample(0, 5, 0, { generator: 0 })] })).to.deep.equal([]);
    const out = a.add({ type: 'samples', generator: 1, upToSec: 1, samples: [sample(0, 3, 1, { generator: 1 })] });
    expect(out.map((s) => [s.sec, s.merged.requests, s.merged.ok, s.samples.length])).to.deep.equal([[0, 9, 8, 2]]);
  });

  it('stops waiting for a generator once it is done', () => {
    const a = new SecondAssembler(2);
    a.add({ type: 'samples', generator: 0, upToSec: 3, samples: [sample(1, 5), sample(2, 5)] });
    a.add({ type: 'samples', generator: 1, upToSec: 1, samples: [] });
    const out = a.add({ type: 'done', generator: 1, at: 0 });
    expect(out.map((s) => s.sec)).to.deep.equal([1, 2]);
  });

  it('releases what is left, in order, when the load ends', () => {
    const a = new SecondAssembler(1);
    a.add({ type: 'samples', generator: 0, upToSec: 0, samples: [sample(3, 1), sample(1, 1)] });
    expect(a.finish().map((s) => s.sec)).to.deep.equal([1, 3]);
  });
});
