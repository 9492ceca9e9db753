/** A case's verdict. */
export type Verdict = 'passed' | 'failed' | 'aborted' | 'inconclusive' | 'not-run' | 'skipped';
export const VERDICTS: readonly Verdict[] = ['passed', 'failed', 'aborted', 'inconclusive', 'not-run', 'skipped'];

/** An expectation's verdict. `inconclusive`: the measurement cannot say (a latency measured while the generator was saturated). */
export type ExpectationVerdict = 'passed' | 'failed' | 'inconclusive';
