import { expect } from 'chai';
import { EnvironmentError } from '../../../../src/core/index.js';
import { PodAddresses } from '../../../../src/localcluster/kubelet/index.js';

describe('PodAddresses (the kubelet pod IPs)', () => {
  it('never hands out the network address, the gateway or the broadcast address', () => {
    const pool = new PodAddresses('127.10.1.0/30');
    expect(pool.gateway).to.equal('127.10.1.1');
    expect(pool.allocate()).to.equal('127.10.1.2');
    expect(() => pool.allocate()).to.throw(EnvironmentError, 'no free pod IP in 127.10.1.0/30: all 1 are in use');
  });

  it('goes round-robin after the last address given, so a freed address is not reused at once', () => {
    const pool = new PodAddresses('198.18.4.0/24');
    const a = pool.allocate();
    const b = pool.allocate();
    expect([a, b]).to.deep.equal(['198.18.4.2', '198.18.4.3']);
    expect(pool.release(a)).to.equal(true);
    expect(pool.release(a)).to.equal(false);
    expect(pool.allocate()).to.equal('198.18.4.4');
    expect(pool.size).to.equal(2);
  });

  it('wraps around to released addresses once the range is used up', () => {
    const pool = new PodAddresses('127.10.2.0/29');
    const all = Array.from({ length: 5 }, () => pool.allocate());
    expect(all).to.deep.equal(['127.10.2.2', '127.10.2.3', '127.10.2.4', '127.10.2.5', '127.10.2.6']);
    pool.release('127.10.2.4');
    expect(pool.allocate()).to.equal('127.10.2.4');
  });

  it('refuses a podCIDR outside 127.0.0.0/8 and 198.18.0.0/15, or with host bits set', () => {
    expect(() => new PodAddresses('10.244.1.0/24')).to.throw(EnvironmentError, 'kubelet: podCIDR 10.244.1.0/24 is outside 127.0.0.0/8 and 198.18.0.0/15');
    expect(() => new PodAddresses('198.20.0.0/24')).to.throw(EnvironmentError, 'is outside');
    expect(() => new PodAddresses('198.16.0.0/14')).to.throw(EnvironmentError, 'is outside');
    expect(() => new PodAddresses('127.10.1.5/24')).to.throw(EnvironmentError, 'host bits are set');
    expect(() => new PodAddresses('127.10.1.0')).to.throw(EnvironmentError, 'expected a.b.c.d/n');
    expect(new PodAddresses('198.19.255.0/24').allocate()).to.equal('198.19.255.2');
  });
});
