import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cacheRoot, normalizeVersion, versionLayout } from '../../../../src/localcluster/install/layout.js';

describe('the cache of crt cluster install', () => {
  it('lives in ~/.cache/crt, or under XDG_CACHE_HOME, or where CRT_CACHE says', () => {
    expect(cacheRoot({})).to.equal(path.join(os.homedir(), '.cache', 'crt'));
    expect(cacheRoot({ XDG_CACHE_HOME: '/var/cache/me' })).to.equal('/var/cache/me/crt');
    expect(cacheRoot({ XDG_CACHE_HOME: '/var/cache/me', CRT_CACHE: '/ci/cache' })).to.equal('/ci/cache');
  });

  it('keeps each release in a folder of its own, the programs in its bin', () => {
    expect(versionLayout('/ci/cache', '1.37.2')).to.deep.equal({ dir: '/ci/cache/kubernetes/1.37.2', bin: '/ci/cache/kubernetes/1.37.2/bin', build: '/ci/cache/kubernetes/1.37.2/build' });
  });

  it('reads release versions with or without the v, and nothing else', () => {
    expect(normalizeVersion('v1.37.2')).to.equal('1.37.2');
    expect(normalizeVersion('1.32.0')).to.equal('1.32.0');
    expect(normalizeVersion('1.37')).to.equal(undefined);
    expect(normalizeVersion('v1.38.0-beta.0')).to.equal(undefined);
  });
});
