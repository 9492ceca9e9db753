/**
 * The one exit-code table of crt. The library throws `CrtError`s carrying one of these;
 * only `src/cli/` turns them into a process exit status.
 */
export const ExitCode = {
  /** every selected case passed (skipped cases do not count against a run) */
  passed: 0,
  /** an expectation failed, a case was aborted by a rule, could not run, or was inconclusive */
  failed: 1,
  /** the plan or the command line is invalid */
  invalid: 2,
  /** the environment is unavailable: a target, a cluster or a sink cannot be reached */
  environment: 3,
  /** a fault could not be reverted: the cluster may still hold injected faults */
  revertFailed: 4,
  /** interrupted by SIGINT (first Ctrl-C: reverts ran and reports were written) */
  sigint: 130,
  /** interrupted by SIGTERM */
  sigterm: 143,
  /** a bug in crt (an error it did not expect): the stack is printed */
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeDescriptions: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.passed, 'every selected case passed'],
  [ExitCode.failed, 'an expectation failed, or a case was aborted, not run or inconclusive'],
  [ExitCode.invalid, 'invalid plan or usage'],
  [ExitCode.environment, 'environment unavailable (target or cluster unreachable at start, cluster held by another run, sink misconfigured, output not writable)'],
  [ExitCode.revertFailed, 'a revert failed: the cluster may still hold injected faults'],
  [ExitCode.sigint, 'interrupted by SIGINT'],
  [ExitCode.sigterm, 'interrupted by SIGTERM'],
  [ExitCode.internal, 'internal error in crt (please report it, with the stack printed)'],
];
