import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { PlanError, compareProblems, formatProblem, type Problem } from '../../../src/core/errors.js';
import { loadPlan } from '../../../src/plan/index.js';

/**
 * Every file of test/fixtures/bad-plans/ is a plan with one kind of mistake. Its first lines say
 * what the user must see first:
 *
 *     # expect: [refs/other.yaml:]LINE:COL PATH: MESSAGE-SUBSTRING     (PATH is <root> for the document)
 *     # hint: HINT-SUBSTRING                                          (optional)
 *     # env: NAME=value NAME2=value                                   (optional; the rest of the env is empty)
 */
const dir = fileURLToPath(new URL('../../../../test/fixtures/bad-plans/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Expectation {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  hint: string | null;
  env: Record<string, string>;
}

const EXPECT = /^# expect: (?:(\S+\.ya?ml):)?(\d+):(\d+) (\S+): (.+)$/m;

function readExpectation(name: string): Expectation {
  const text = readFileSync(path.join(dir, name), 'utf8');
  const m = EXPECT.exec(text);
  if (!m) throw new Error(`${name}: no "# expect: LINE:COL PATH: MESSAGE" comment`);
  const [, file, line, col, at, message] = m as unknown as [string, string | undefined, string, string, string, string];
  const hint = /^# hint: (.+)$/m.exec(text)?.[1] ?? null;
  const envLine = /^# env: (.+)$/m.exec(text)?.[1];
  const env = Object.fromEntries((envLine ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
  return { file: file ?? name, line: Number(line), col: Number(col), path: at === '<root>' ? '' : at, message, hint, env };
}

function problemsOf(file: string, env: Record<string, string>): readonly Problem[] {
  try {
    loadPlan(file, env);
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(PlanError);
    return (err as PlanError).problems;
  }
  expect.fail(`${path.basename(file)} loaded without a problem`);
}

describe('loadPlan on malformed plans (test/fixtures/bad-plans)', () => {
  it('has a fixture for each of at least 32 kinds of mistake', () => {
    expect(fixtures.length).to.be.at.least(32);
  });

  for (const name of fixtures) {
    it(name, () => {
      const want = readExpectation(name);
      const problems = problemsOf(path.join(dir, name), want.env);
      const shown = problems.map(formatProblem).join('\n');

      for (const p of problems) {
        expect(Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1, `unlocated problem:\n${formatProblem(p)}`).to.equal(true);
      }
      expect(problems.map(formatProblem), 'problems are sorted').to.deep.equal([...problems].sort(compareProblems).map(formatProblem));

      const first = problems.find((p) => p.severity === 'error');
      expect(first, 'at least one error').to.not.equal(undefined);
      const got = first as Problem;
      const where = { file: path.relative(dir, path.resolve(got.file)), line: got.line, col: got.col, path: got.path };
      expect(where, `first error of:\n${shown}`).to.deep.equal({ file: want.file, line: want.line, col: want.col, path: want.path });
      expect(got.message, shown).to.include(want.message);
      if (want.hint !== null) expect(got.hint ?? '', shown).to.include(want.hint);
    });
  }
});
