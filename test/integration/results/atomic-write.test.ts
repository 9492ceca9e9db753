import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EnvironmentError } from '../../../src/core/errors.js';
import { writeReportFile } from '../../../src/report/write-file.js';
import { writeRunJson } from '../../../src/results/run-folder.js';
import type { RunResult } from '../../../src/results/types.js';
import { fixtureRun } from '../../unit/report/fixture.js';

/** A full disk, for real: a 256 KiB tmpfs filled to the last byte (mounting needs root, as in CI). */
describe('atomic run files on a full disk', function () {
  let mnt: string;
  let mounted = false;
  before(function () {
    if (process.getuid?.() !== 0) this.skip(); // mount -t tmpfs needs root: CI runs as root
  });
  beforeEach(async () => {
    mnt = await mkdtemp(path.join(tmpdir(), 'crt-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    mounted = true;
  });
  afterEach(async () => {
    if (mounted) execFileSync('umount', [mnt]);
    mounted = false;
    await rm(mnt, { recursive: true, force: true });
  });

  /** Fills the file system: a filler file written until ENOSPC (its partial content stays). */
  async function fillDisk(): Promise<void> {
    const err = await writeFile(path.join(mnt, 'filler'), Buffer.alloc(1024 * 1024, 1)).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
  }

  const bigger = (): RunResult => ({ ...fixtureRun(), runId: 'second', plan: { ...fixtureRun().plan, description: 'x'.repeat(64 * 1024) } });

  it('an in-place write truncates the file there: the scenario is real', async () => {
    await writeFile(path.join(mnt, 'run.json'), JSON.stringify(fixtureRun()));
    await fillDisk();
    await writeFile(path.join(mnt, 'run.json'), JSON.stringify(bigger())).catch(() => undefined);
    const text = await readFile(path.join(mnt, 'run.json'), 'utf8');
    expect(() => JSON.parse(text) as unknown).to.throw();
  });

  it('writeRunJson on a full disk fails with ENOSPC (exit 3) and leaves the previous complete run.json, no temporary file', async () => {
    await writeRunJson(mnt, fixtureRun());
    const before = await readFile(path.join(mnt, 'run.json'), 'utf8');
    await fillDisk();
    const err = await writeRunJson(mnt, bigger()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.equal(`cannot write ${path.join(mnt, 'run.json')}: ENOSPC (no space left on the device)`);
    expect(await readFile(path.join(mnt, 'run.json'), 'utf8')).to.equal(before);
    expect((JSON.parse(before) as RunResult).runId).to.equal(fixtureRun().runId);
    expect((await readdir(mnt)).sort()).to.deep.equal(['filler', 'run.json']);
  });

  it('a report rewritten on a full disk keeps its last complete version', async () => {
    await writeReportFile(mnt, 'report.md', '# first\n');
    await fillDisk();
    const err = await writeReportFile(mnt, 'report.md', `# second\n${'y'.repeat(64 * 1024)}\n`).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/cannot write .*report\.md: ENOSPC/);
    expect(await readFile(path.join(mnt, 'report.md'), 'utf8')).to.equal('# first\n');
    expect((await readdir(mnt)).sort()).to.deep.equal(['filler', 'report.md']);
  });

  it('a write that fits replaces the file whole', async () => {
    await writeRunJson(mnt, fixtureRun());
    await writeRunJson(mnt, { ...fixtureRun(), runId: 'second' });
    expect((JSON.parse(await readFile(path.join(mnt, 'run.json'), 'utf8')) as RunResult).runId).to.equal('second');
    expect(await readdir(mnt)).to.deep.equal(['run.json']);
  });
});
