import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EnvironmentError, UsageError } from '../../../src/core/errors.js';
import { checkRunId, createRunFolder, removeRefusedRun } from '../../../src/results/run-folder.js';

describe('results/run folder creation', () => {
  let tmp: string;
  beforeEach(async () => (tmp = await mkdtemp(path.join(tmpdir(), 'crt-create-'))));
  afterEach(async () => rm(tmp, { recursive: true, force: true }));

  const refusal = (id: string): string => {
    try {
      checkRunId(id);
    } catch (err) {
      expect(err).to.be.instanceOf(UsageError);
      expect((err as UsageError).hint).to.match(/1 to 100 of A-Z a-z 0-9 \. _ -/);
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('accepts run ids of 1 to 100 letters, digits, dots, underscores and dashes', () => {
    for (const id of ['r1', 'nightly-2026.12.07_a', 'x'.repeat(100), '..a', 'a..']) expect(refusal(id), id).to.equal('accepted');
  });

  it('refuses paths, empty ids, newlines, "." and "..", and ids over 100 characters, saying why', () => {
    expect(refusal('../../etc/x')).to.equal('--run-id "../../etc/x" has characters other than letters, digits, ".", "_" and "-"');
    expect(refusal('/tmp/abs')).to.equal('--run-id "/tmp/abs" has characters other than letters, digits, ".", "_" and "-"');
    expect(refusal('')).to.equal('--run-id "" is empty');
    expect(refusal('a\nb')).to.equal('--run-id "a\\nb" has characters other than letters, digits, ".", "_" and "-"');
    expect(refusal('.')).to.equal('--run-id "." is not a folder of its own under --out');
    expect(refusal('..')).to.equal('--run-id ".." is not a folder of its own under --out');
    expect(refusal('a'.repeat(300))).to.equal(`--run-id "${'a'.repeat(60)}…" has 300 characters (at most 100)`);
    expect(refusal('a'.repeat(101))).to.match(/has 101 characters/);
  });

  it('creates --out and the run folder inside it, and refuses a run id whose folder exists (usage, exit 2)', async () => {
    const out = path.join(tmp, 'a', 'b');
    expect(await createRunFolder(out, 'r1')).to.equal(path.join(out, 'r1'));
    expect(await readdir(out)).to.deep.equal(['r1']);
    const err = await createRunFolder(out, 'r1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.equal(`run folder ${path.join(out, 'r1')} already exists`);
  });

  it('refuses an --out that is a file, or under a file, as the environment (exit 3) with the reason', async () => {
    await writeFile(path.join(tmp, 'f'), 'x');
    for (const [out, reason] of [['f', 'EEXIST (a file is in the way)'], ['f/sub', 'ENOTDIR (a part of the path is a file, not a folder)']] as const) {
      const err = await createRunFolder(path.join(tmp, out), 'r1').catch((e: unknown) => e);
      expect(err, out).to.be.instanceOf(EnvironmentError);
      expect((err as Error).message).to.equal(`cannot write the output folder ${path.join(tmp, out)}: ${reason}`);
      expect((err as EnvironmentError).hint).to.equal('give --out a folder this user can write (it is created if missing)');
    }
    expect(await readdir(tmp)).to.deep.equal(['f']);
  });

  it('removes a refused run folder, but keeps one whose journal holds a line', async () => {
    const bare = path.join(tmp, 'bare');
    await mkdir(path.join(bare, 'cluster'), { recursive: true });
    await writeFile(path.join(bare, 'crt.log'), 'log\n');
    await writeFile(path.join(bare, 'journal.jsonl'), '');
    expect(await removeRefusedRun(bare)).to.equal(true);
    const journaled = path.join(tmp, 'journaled');
    await mkdir(journaled);
    await writeFile(path.join(journaled, 'journal.jsonl'), '{"status":"injecting"}\n');
    expect(await removeRefusedRun(journaled)).to.equal(false);
    expect(await readdir(tmp)).to.deep.equal(['journaled']);
    expect(await readdir(journaled)).to.deep.equal(['journal.jsonl']);
  });
});
