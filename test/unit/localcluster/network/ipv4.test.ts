import { expect } from 'chai';
import { formatIPv4, isLoopbackIPv4, parseIPv4, unmapIPv4 } from '../../../../src/core/ipv4.js';

describe('IPv4 helpers', () => {
  it('parses a dotted quad into an unsigned 32-bit number and formats it back', () => {
    expect(parseIPv4('127.10.1.2')).to.equal(127 * 2 ** 24 + 10 * 2 ** 16 + 256 + 2);
    expect(formatIPv4(parseIPv4('255.255.255.255')!)).to.equal('255.255.255.255');
  });

  it('rejects text that is not four decimal octets', () => {
    for (const text of ['127.0.0', '127.0.0.256', '127.0.0.01', '127.0.0.1 ', '::1', '']) expect(parseIPv4(text), text).to.equal(null);
  });

  it('counts all of 127.0.0.0/8 as loopback and nothing else', () => {
    expect(['127.0.0.1', '127.255.255.254', '127.30.0.9'].map(isLoopbackIPv4)).to.deep.equal([true, true, true]);
    expect(['128.0.0.1', '10.0.0.1', '::1', 'localhost'].map(isLoopbackIPv4)).to.deep.equal([false, false, false, false]);
  });

  it('unwraps an IPv4-mapped IPv6 address and leaves others alone', () => {
    expect(unmapIPv4('::ffff:127.30.0.9')).to.equal('127.30.0.9');
    expect(unmapIPv4('127.30.0.9')).to.equal('127.30.0.9');
    expect(unmapIPv4('::1')).to.equal('::1');
  });
});
