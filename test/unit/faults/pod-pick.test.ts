import { expect } from 'chai';
import { parsePercent } from '../../../src/core/units.js';
import { killCount, pickPods, seededRandom } from '../../../src/faults/pod-pick.js';

const pods = ['gw-c', 'gw-a', 'gw-e', 'gw-b', 'gw-d', 'gw-f'].map((name, i) => ({ name, createdMs: 1000 * ((i * 7) % 6) }));
const names = (list: { name: string }[]) => list.map((p) => p.name);

describe('picking the pods a pod kill takes', () => {
  it('picks the same pods for the same seed, whatever order the API listed them in', () => {
    const first = names(pickPods(pods, 2, 'random', 42));
    expect(names(pickPods([...pods].reverse(), 2, 'random', 42))).to.deep.equal(first);
  });

  it('picks differently across seeds', () => {
    const picks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => names(pickPods(pods, 2, 'random', seed)).join(',')));
    expect(picks.size).to.be.greaterThan(3);
  });

  it('takes the oldest pods first with pick oldest, and the newest with pick newest', () => {
    const byAge = [...pods].sort((a, b) => a.createdMs - b.createdMs);
    expect(names(pickPods(pods, 2, 'oldest', 0))).to.deep.equal(names(byAge.slice(0, 2)));
    expect(names(pickPods(pods, 2, 'newest', 0))).to.deep.equal(names(byAge.reverse().slice(0, 2)));
  });

  it('never picks more pods than there are', () => {
    expect(pickPods(pods, 10, 'random', 1)).to.have.length(6);
  });

  it('draws the same sequence from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const seqA = [a(), a(), a()];
    expect([b(), b(), b()]).to.deep.equal(seqA);
    for (const x of seqA) expect(x).to.be.within(0, 1);
  });

  it('counts one pod by default, a share rounded up with percent, and every pod with all', () => {
    expect(killCount(6, {}, parsePercent)).to.equal(1);
    expect(killCount(6, { count: 4 }, parsePercent)).to.equal(4);
    expect(killCount(6, { percent: '50%' }, parsePercent)).to.equal(3);
    expect(killCount(3, { percent: '10%' }, parsePercent)).to.equal(1);
    expect(killCount(6, { all: true }, parsePercent)).to.equal(6);
    expect(killCount(0, { all: true }, parsePercent)).to.equal(0);
  });
});
