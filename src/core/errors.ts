import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * Base of every error crt expects to happen. The CLI prints `message` and `hint`
 * without a stack and exits with `exitCode`; anything else is an internal error.
 */
export abstract class CrtError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** A located problem in a plan, scenario or chaos file. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  /** dotted path inside the document, e.g. `layers.logical[1].trigger[0].fault` */
  path: string;
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
}

export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const head = p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return p.hint ? `${prefix}${head}\n  hint: ${p.hint}` : `${prefix}${head}`;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path);
}

export class PlanError extends CrtError {
  readonly code = 'PLAN_INVALID';
  readonly exitCode = ExitCode.invalid;
  readonly problems: readonly Problem[];

  constructor(problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error').sort(compareProblems);
    const count = errors.length;
    super(`${count} problem${count === 1 ? '' : 's'} in the plan`);
    this.problems = [...problems].sort(compareProblems);
  }
}

export class UsageError extends CrtError {
  readonly code = 'USAGE';
  readonly exitCode = ExitCode.invalid;
}

/** A feature the plan asks for that this build of crt cannot perform. */
export class UnsupportedError extends CrtError {
  readonly code = 'UNSUPPORTED';
  readonly exitCode = ExitCode.invalid;
}

export class EnvironmentError extends CrtError {
  readonly code = 'ENV_UNAVAILABLE';
  readonly exitCode = ExitCode.environment;
}

export class RevertError extends CrtError {
  readonly code = 'REVERT_FAILED';
  readonly exitCode = ExitCode.revertFailed;
}

/** Describes any thrown value in one line, for results and logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
