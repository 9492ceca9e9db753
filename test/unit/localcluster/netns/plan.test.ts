import { expect } from 'chai';
import { UsageError } from '../../../../src/core/index.js';
import { Fabric, hubNamespace, isFabricAddress, nodeAddress, nodeNamespace, parseNamespace } from '../../../../src/localcluster/netns/index.js';

describe('netns address plan', () => {
  it('names the hub crt-<id>-hub and node i crt-<id>-n<i>, and reads those names back', () => {
    expect(hubNamespace('abc')).to.equal('crt-abc-hub');
    expect(nodeNamespace('abc', 3)).to.equal('crt-abc-n3');
    expect(parseNamespace('crt-abc-hub')).to.deep.equal({ id: 'abc' });
    expect(parseNamespace('crt-abc-n3')).to.deep.equal({ id: 'abc', node: 3 });
    // an id may hold dashes, even ones that look like a suffix: the last part is the role
    expect(parseNamespace('crt-a-n1-hub')).to.deep.equal({ id: 'a-n1' });
    expect(parseNamespace('crt-a-b-n12')).to.deep.equal({ id: 'a-b', node: 12 });
  });

  it('does not take other names, nor the support probe\'s, for a fabric namespace', () => {
    for (const name of ['crt-probe-123-a1b2c3', 'crt--hub', 'crt-abc-n', 'crt-abc-node1', 'cni-1234', 'crt-ABC-hub', 'xcrt-abc-hub', 'crt-abc-hub2']) {
      expect(parseNamespace(name), name).to.equal(undefined);
    }
  });

  it('gives node i the address 198.18.0.<10+i> and refuses indexes without one', () => {
    expect(nodeAddress(0)).to.equal('198.18.0.10');
    expect(nodeAddress(1)).to.equal('198.18.0.11');
    expect(nodeAddress(245)).to.equal('198.18.0.255');
    for (const bad of [-1, 246, 1.5, Number.NaN]) {
      expect(() => nodeAddress(bad), String(bad)).to.throw(UsageError, `invalid node index ${bad}`);
    }
  });

  it('takes addresses of 198.18.0.0/15 only', () => {
    for (const ok of ['198.18.0.1', '198.18.255.255', '198.19.0.10', '198.19.255.255']) expect(isFabricAddress(ok), ok).to.equal(true);
    for (const bad of ['198.17.255.255', '198.20.0.0', '127.0.0.1', '10.0.0.1', '198.18.0', '198.18.0.256', '::1', 'crt']) expect(isFabricAddress(bad), bad).to.equal(false);
  });

  it('refuses a fabric id that would not make a namespace or file name, before touching anything', async () => {
    for (const id of ['', 'Abc', 'a_b', 'a/b', '-a', 'a'.repeat(41)]) {
      const err = await Fabric.create({ id }).catch((e: unknown) => e);
      expect(err, id).to.be.instanceOf(UsageError);
      expect((err as Error).message).to.equal(`invalid fabric id "${id}"`);
    }
  });
});
