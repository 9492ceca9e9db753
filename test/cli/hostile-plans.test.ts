import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crt, type CliRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Plans written as an adversary would (test/fixtures/hostile/, one file per finding of issue 14):
 * each once passed `crt validate` and then crashed or hung `crt run`. Each file's first lines say
 * what `crt validate` must print, exactly:
 *
 *     # finding: what went wrong before
 *     # env: NAME=value                       (optional; \r and \n are escapes)
 *     # expect: FILE:LINE:COL PATH: MESSAGE   (one line of stderr, in order; "  hint: ..." lines too)
 */
const HOSTILE = fileURLToPath(new URL('../../../test/fixtures/hostile/', import.meta.url));
const fixtures = readdirSync(HOSTILE).filter((f) => f.endsWith('.yaml')).sort();

function expectedLines(name: string): string[] {
  return readFileSync(path.join(HOSTILE, name), 'utf8').split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => l.slice('# expect: '.length));
}

function fixtureEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of fixtures) {
    const line = /^# env: ([A-Z_]+)=(.*)$/m.exec(readFileSync(path.join(HOSTILE, name), 'utf8'));
    if (line) env[line[1] as string] = (line[2] as string).replace(/\\r/g, '\r').replace(/\\n/g, '\n');
  }
  return env;
}

/** stderr of `crt validate a.yaml b.yaml ...`, cut into each file's lines (its summary line ends them). */
function perFile(stderr: string, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of stderr.split('\n')) {
    const summary = names.find((n) => line.startsWith(`${n}: `) && / problems? in the plan$/.test(line));
    if (summary) {
      out.set(summary, current);
      current = [];
    } else if (line !== '') {
      current.push(line);
    }
  }
  return out;
}

describe('hostile plans (test/fixtures/hostile)', function () {
  this.timeout(60_000);

  describe('crt validate', () => {
    let run: CliRun;
    let blocks: Map<string, string[]>;
    before(async () => {
      // one process validates them all, as a user would with a glob
      run = await crt(['validate', ...fixtures], { cwd: HOSTILE, env: fixtureEnv() });
      blocks = perFile(run.stderr, fixtures);
    });

    it('has a fixture for each finding, each saying what it must print', () => {
      expect(fixtures.length).to.be.at.least(20);
      for (const f of fixtures) expect(expectedLines(f), f).to.not.be.empty;
    });

    it('exits 2, prints nothing on stdout and no stack', () => {
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stdout).to.equal('');
      expect(run.stderr).not.to.match(/^\s+at /m);
      expect(run.stderr).not.to.contain('internal error');
    });

    for (const name of fixtures) {
      it(`${name}: every problem, located, with its hint`, () => {
        const want = expectedLines(name);
        expect(blocks.get(name), run.stderr).to.deep.equal(want);
        const errors = want.filter((l) => !l.startsWith('  hint: ')).length;
        expect(run.stderr).to.contain(`\n${name}: ${errors} problem${errors === 1 ? '' : 's'} in the plan\n`);
      });
    }
  });

  describe('crt run refuses them before anything starts', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    beforeEach(async () => (tmp = await tempDir()));
    afterEach(() => tmp.remove());

    for (const name of ['target-prototype-names.yaml', 'url-port-out-of-range.yaml', 'duration-over-24-days.yaml', 'header-value-crlf-from-env.yaml', 'system-namespaces.yaml', 'scenario-dev-zero.yaml', 'alias-amplification.yaml']) {
      it(`${name}: exit 2 with the same problems, and no run folder`, async () => {
        const out = path.join(tmp.dir, 'reports');
        const r = await crt(['run', name, '--out', out, '--run-id', 'hostile'], { cwd: HOSTILE, env: fixtureEnv() });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).not.to.match(/^\s+at /m);
        for (const line of expectedLines(name)) expect(r.stderr).to.contain(`${line}\n`);
        expect(existsSync(out), 'no run folder').to.equal(false);
      });
    }
  });

  describe('files that are not plans', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    beforeEach(async () => (tmp = await tempDir()));
    afterEach(() => tmp.remove());

    const plan = 'apiVersion: crt/v1\nmetadata: {name: café}\nlayers:\n  auxiliary:\n    - {id: AUX-01, title: a, objective: b, conditions: [{probe: command, command: "true"}]}\n';

    it('refuses a 50 MB plan without reading it', async () => {
      const file = path.join(tmp.dir, 'huge.yaml');
      await writeFile(file, plan);
      await truncate(file, 50 * 1024 * 1024);
      const r = await crt(['validate', 'huge.yaml'], { cwd: tmp.dir });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal(
        'huge.yaml:1:1 plan file huge.yaml is 50.0 MiB: crt reads files of at most 5 MiB\n' +
          '  hint: is it the file you meant? a plan is a few kilobytes; a large request body belongs in the service\'s fixtures\n' +
          'huge.yaml: 1 problem in the plan\n',
      );
    });

    it('refuses /dev/zero and a FIFO as the plan (they would never end)', async () => {
      execFileSync('mkfifo', [path.join(tmp.dir, 'fifo.yaml')]);
      const r = await crt(['validate', '/dev/zero', 'fifo.yaml'], { cwd: tmp.dir });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal(
        '/dev/zero:1:1 plan file /dev/zero is not a regular file\n  hint: crt reads plans, scenarios and chaos files from ordinary files\n/dev/zero: 1 problem in the plan\n' +
          'fifo.yaml:1:1 plan file fifo.yaml is not a regular file\n  hint: crt reads plans, scenarios and chaos files from ordinary files\nfifo.yaml: 1 problem in the plan\n',
      );
    });

    it('names UTF-16 (with a BOM, or without: NUL bytes) and Latin-1 plans, with how to convert them', async () => {
      await writeFile(path.join(tmp.dir, 'bom.yaml'), Buffer.from(`\ufeff${plan}`, 'utf16le'));
      await writeFile(path.join(tmp.dir, 'nul.yaml'), Buffer.from(plan, 'utf16le'));
      await writeFile(path.join(tmp.dir, 'latin1.yaml'), Buffer.from(plan, 'latin1'));
      const r = await crt(['validate', 'bom.yaml', 'nul.yaml', 'latin1.yaml'], { cwd: tmp.dir });
      expect(r.code).to.equal(2);
      const hint = '  hint: save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8, or "Save with encoding: UTF-8" in the editor)\n';
      expect(r.stderr).to.equal(
        `bom.yaml:1:1 the plan file is UTF-16 (it starts with a byte order mark): crt reads UTF-8\n${hint}bom.yaml: 1 problem in the plan\n` +
          `nul.yaml:1:2 the plan file holds NUL bytes: is it UTF-16? crt reads UTF-8\n${hint}nul.yaml: 1 problem in the plan\n` +
          'latin1.yaml:2:21 the plan file is not valid UTF-8 (byte 0xe9): is it Latin-1 or Windows-1252?\n' +
          `${hint.replace('UTF-16', 'LATIN1')}latin1.yaml: 1 problem in the plan\n`,
      );
      expect((await readdir(tmp.dir)).sort(), 'nothing written').to.deep.equal(['bom.yaml', 'latin1.yaml', 'nul.yaml']);
    });
  });
});
