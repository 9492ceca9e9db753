import { expect } from 'chai';
import { AddressPool, AddressPoolError } from '../../../../src/localcluster/network/index.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AddressPoolError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('AddressPool', () => {
  it('hands out addresses in ascending order from the start of the block', () => {
    const pool = new AddressPool('127.10.0.0/16');
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).to.deep.equal(['127.10.0.1', '127.10.0.2', '127.10.0.3']);
    expect(pool.size).to.equal(3);
  });

  it('skips last octets 255 and 0 when crossing into the next /24', () => {
    const pool = new AddressPool('127.10.0.0/16');
    for (let i = 0; i < 253; i++) pool.allocate();
    expect([pool.allocate(), pool.allocate()]).to.deep.equal(['127.10.0.254', '127.10.1.1']);
  });

  it('counts 254 usable addresses per /24', () => {
    expect(new AddressPool('127.10.0.0/16').capacity).to.equal(256 * 254);
    expect(new AddressPool('127.20.5.0/24').capacity).to.equal(254);
    expect(new AddressPool('127.20.5.8/30').capacity).to.equal(4);
  });

  it('never hands out 127.0.0.1, the address of callers from outside the cluster', () => {
    const pool = new AddressPool('127.0.0.0/30');
    expect([pool.allocate(), pool.allocate()]).to.deep.equal(['127.0.0.2', '127.0.0.3']);
    expect(pool.capacity).to.equal(2);
  });

  it('throws ADDRESS_POOL_EXHAUSTED with the pool and its size once every address is in use', () => {
    const pool = new AddressPool('127.20.0.0/30');
    pool.allocate();
    pool.allocate();
    pool.allocate();
    expect(() => pool.allocate()).to.throw(AddressPoolError, 'no free address in 127.20.0.0/30: all 3 are allocated');
    expect(codeOf(() => pool.allocate())).to.equal('ADDRESS_POOL_EXHAUSTED');
  });

  it('reuses released addresses only after the never-used ones, oldest release first', () => {
    const pool = new AddressPool('127.20.0.0/29');
    const [a, b, c] = [pool.allocate(), pool.allocate(), pool.allocate()];
    pool.release(b);
    pool.release(a);
    expect([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()]).to.deep.equal(['127.20.0.4', '127.20.0.5', '127.20.0.6', '127.20.0.7']);
    expect([pool.allocate(), pool.allocate()]).to.deep.equal([b, a]);
    expect(pool.has(c)).to.equal(true);
    expect(codeOf(() => pool.allocate())).to.equal('ADDRESS_POOL_EXHAUSTED');
  });

  it('skips a reserved address when allocating, and reserves a released one out of the reuse queue', () => {
    const pool = new AddressPool('127.20.0.0/29');
    pool.reserve('127.20.0.2');
    expect([pool.allocate(), pool.allocate()]).to.deep.equal(['127.20.0.1', '127.20.0.3']);
    pool.release('127.20.0.1');
    pool.release('127.20.0.3');
    pool.reserve('127.20.0.1');
    for (let i = 0; i < 4; i++) pool.allocate();
    expect(pool.allocate()).to.equal('127.20.0.3');
  });

  it('refuses to reserve an address already in use', () => {
    const pool = new AddressPool('127.10.0.0/16');
    const ip = pool.allocate();
    expect(codeOf(() => pool.reserve(ip))).to.equal('ADDRESS_IN_USE');
  });

  it('refuses to reserve or release an address the pool does not hand out', () => {
    const pool = new AddressPool('127.10.0.0/16');
    expect(codeOf(() => pool.reserve('127.11.0.1'))).to.equal('ADDRESS_OUT_OF_POOL');
    expect(codeOf(() => pool.reserve('127.10.3.255'))).to.equal('ADDRESS_OUT_OF_POOL');
    expect(codeOf(() => pool.release('not-an-ip'))).to.equal('ADDRESS_OUT_OF_POOL');
  });

  it('ignores the release of an address that is not in use, so teardown can repeat', () => {
    const pool = new AddressPool('127.10.0.0/16');
    const ip = pool.allocate();
    expect(pool.release(ip)).to.equal(true);
    expect(pool.release(ip)).to.equal(false);
    expect(pool.release('127.10.9.9')).to.equal(false);
    expect(pool.size).to.equal(0);
  });

  for (const [cidr, message] of [
    ['10.0.0.0/8', /inside 127\.0\.0\.0\/8/],
    ['127.0.0.0/7', /inside 127\.0\.0\.0\/8/],
    ['127.10.0.1/16', /host bits are set/],
    ['127.10.0.0', /expected a\.b\.c\.d\/n/],
    ['127.10.0.256/24', /expected a\.b\.c\.d\/n/],
    ['127.10.0.255/32', /no usable address/],
  ] as const) {
    it(`rejects the pool ${cidr}`, () => {
      expect(() => new AddressPool(cidr)).to.throw(AddressPoolError, message);
    });
  }

  it('suggests the block of a CIDR written with host bits', () => {
    try {
      new AddressPool('127.10.0.1/16');
      expect.fail('should throw');
    } catch (err) {
      expect((err as AddressPoolError).hint).to.equal('did you mean 127.10.0.0/16?');
    }
  });
});
