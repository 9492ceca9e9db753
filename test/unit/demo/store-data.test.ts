import { expect } from 'chai';
import { SEED_CUSTOMERS, StoreData, customerKey, seedCustomer } from '../../../src/demo/store-data.js';

describe('demo StoreData', () => {
  it('seeds customers 1..1000 with the same names on every start', () => {
    const a = StoreData.seeded();
    expect(a.stats()).to.deep.equal({ keys: SEED_CUSTOMERS, customers: SEED_CUSTOMERS, votes: 0, options: 0 });
    expect(a.get(customerKey(42))).to.deep.equal(StoreData.seeded().get(customerKey(42)));
    expect(a.get(customerKey(0))).to.equal(undefined);
  });

  it('gives every seeded customer a distinct email', () => {
    const emails = new Set(Array.from({ length: SEED_CUSTOMERS }, (_, i) => seedCustomer(i + 1).email));
    expect(emails.size).to.equal(SEED_CUSTOMERS);
  });

  it('restores from its snapshot exactly what it held', () => {
    const data = StoreData.seeded();
    data.put('k', { nested: [1, 2] });
    data.delete(customerKey(3));
    data.vote('b');
    data.vote('a');
    const copy = StoreData.fromSnapshot(JSON.parse(JSON.stringify(data.snapshot(new Date(0)))));
    expect(copy.snapshot(new Date(0))).to.deep.equal(data.snapshot(new Date(0)));
    expect(copy.totals()).to.deep.equal({ total: 2, options: { a: 1, b: 1 } });
  });

  it('takes another copy’s keys and votes in place with replaceWith, and forgets everything with clear', () => {
    const data = StoreData.seeded();
    data.vote('a');
    const other = new StoreData();
    other.put('drill/1', { n: 1 });
    other.vote('b');
    data.replaceWith(other);
    expect(data.snapshot(new Date(0))).to.deep.equal(other.snapshot(new Date(0)));
    data.clear();
    expect(data.stats()).to.deep.equal({ keys: 0, customers: 0, votes: 0, options: 0 });
    expect(other.stats().keys).to.equal(1);
  });

  it('rejects a snapshot of another format', () => {
    expect(() => StoreData.fromSnapshot({ kv: {}, votes: {} })).to.throw('not a crt-demo-store/1 snapshot');
    expect(() => StoreData.fromSnapshot({ format: 'crt-demo-store/1', savedAt: '', kv: {}, votes: { a: -1 } })).to.throw('"a" is not a count');
  });

  it('accepts short labels as vote options and nothing else', () => {
    expect(['a', 'option_2', 'blue-green'].map((o) => StoreData.isOption(o))).to.deep.equal([true, true, true]);
    expect(['', 'a b', 'x'.repeat(33), 1, null].map((o) => StoreData.isOption(o))).to.deep.equal([false, false, false, false, false]);
  });
});
