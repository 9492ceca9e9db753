import { expect } from 'chai';
import { openFilesLimit, outOfFileDescriptors } from '../../../src/core/open-files.js';

describe('core/open-files', () => {
  it('reads the soft limit from /proc/self/limits text, undefined when unlimited or absent', () => {
    expect(openFilesLimit('Max open files            1024                 524288               files\n')).to.equal(1024);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files\n')).to.equal(undefined);
    expect(openFilesLimit('')).to.equal(undefined);
  });

  it('takes EMFILE and ENFILE for the environment, and a module not found only under a limit too low to load crt', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(outOfFileDescriptors(err('EMFILE'), 20000)).to.equal(true);
    expect(outOfFileDescriptors(err('ENFILE'), undefined)).to.equal(true);
    expect(outOfFileDescriptors(err('ERR_MODULE_NOT_FOUND'), 512)).to.equal(true);
    expect(outOfFileDescriptors(err('ERR_MODULE_NOT_FOUND'), 20000)).to.equal(false);
    expect(outOfFileDescriptors(err('ENOENT'), 64)).to.equal(false);
    expect(outOfFileDescriptors(new TypeError('x is undefined'), 64)).to.equal(false);
  });
});
