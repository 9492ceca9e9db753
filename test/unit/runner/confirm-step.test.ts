import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../../src/core/index.js';
import { confirmStep } from '../../../src/runner/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('confirmStep (crt confirm)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(() => tmp.remove());

  const waiting = async (...stems: string[]): Promise<void> => {
    await mkdir(path.join(tmp.dir, 'confirm'), { recursive: true });
    for (const s of stems) await writeFile(path.join(tmp.dir, 'confirm', `${s}.waiting`), '{}\n');
  };

  it('refuses with a usage error (exit 2) naming the steps that do wait, and writes nothing', async () => {
    await waiting('PHY-01--switch-off');
    const err = await confirmStep(tmp.dir, 'other', undefined, 'me@host').then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).exitCode).to.equal(2);
    expect((err as Error).message).to.equal(`no manual step other is waiting in ${tmp.dir} (waiting: PHY-01/switch-off)`);
    expect(await readdir(path.join(tmp.dir, 'confirm'))).to.deep.equal(['PHY-01--switch-off.waiting']);
  });

  it('refuses with a usage error when two cases wait on the step and no case is given', async () => {
    await waiting('A--off', 'B--off');
    const err = await confirmStep(tmp.dir, 'off', undefined, 'me@host').then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.equal('several cases wait on step off: A, B');
    expect((err as UsageError).hint).to.equal('give --case');
    expect(await confirmStep(tmp.dir, 'off', 'B', 'me@host')).to.equal('B');
  });

  it('passes a file-system failure on as it is, for the CLI to report as the environment\'s (exit 3)', async () => {
    // a file where the confirm folder should be: readdir fails with ENOTDIR
    await writeFile(path.join(tmp.dir, 'confirm'), '');
    const err = await confirmStep(tmp.dir, 'off', undefined, 'me@host').then(() => null, (e: unknown) => e);
    expect(err).to.not.be.instanceOf(UsageError);
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOTDIR');
  });
});
