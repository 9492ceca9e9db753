import { expect } from 'chai';
import { ExitCode } from '../../../src/core/exit-codes.js';
import { PlanError, compareProblems, formatProblem, type Problem } from '../../../src/core/errors.js';

const problem = (over: Partial<Problem>): Problem => ({
  file: 'plan.yaml',
  line: 1,
  col: 1,
  path: '',
  message: 'm',
  severity: 'error',
  ...over,
});

describe('plan problems', () => {
  it('prints file:line:col path: message, then the hint on its own line', () => {
    const p = problem({ line: 42, col: 9, path: 'layers.logical[1].trigger[0].fault', message: 'must be one of pod-kill, node-drain', hint: 'did you mean "pod-kill"?' });
    expect(formatProblem(p)).to.equal('plan.yaml:42:9 layers.logical[1].trigger[0].fault: must be one of pod-kill, node-drain\n  hint: did you mean "pod-kill"?');
  });

  it('prints a problem of the whole document without a path, and marks warnings', () => {
    expect(formatProblem(problem({ message: 'the plan file is empty' }))).to.equal('plan.yaml:1:1 the plan file is empty');
    expect(formatProblem(problem({ severity: 'warning', path: 'a', message: 'b' }))).to.equal('warning: plan.yaml:1:1 a: b');
  });

  it('sorts problems by file, then line, then column', () => {
    const list = [problem({ line: 3 }), problem({ file: 'a.yaml', line: 9 }), problem({ line: 2, col: 5 }), problem({ line: 2, col: 1 })];
    expect([...list].sort(compareProblems).map((p) => `${p.file}:${p.line}:${p.col}`)).to.deep.equal(['a.yaml:9:1', 'plan.yaml:2:1', 'plan.yaml:2:5', 'plan.yaml:3:1']);
  });

  it('makes a PlanError that counts errors only, keeps every problem sorted and exits 2', () => {
    const err = new PlanError([problem({ line: 5 }), problem({ line: 1, severity: 'warning' }), problem({ line: 3 })]);
    expect(err.message).to.equal('2 problems in the plan');
    expect(err.problems.map((p) => p.line)).to.deep.equal([1, 3, 5]);
    expect(err.exitCode).to.equal(ExitCode.invalid);
    expect(err.code).to.equal('PLAN_INVALID');
  });
});
