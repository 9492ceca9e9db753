import type { CaseSpec } from '../plan/index.js';
import type { CaseEvent, CaseResult, Phase, RunResult } from '../results/index.js';

/** One second of a running case, for live progress. */
export interface CaseProgress {
  phase: Phase;
  sec: number;
  /** since the load started */
  elapsedMs: number;
  plannedMs: number | null;
  stage: string | null;
  /** requests completed in this second: its req/s */
  requests: number;
  failed: number;
  errorRate: number | null;
  p95Ms: number | null;
}

/**
 * What a run tells its caller while it goes (the CLI renders it on stderr). Every method is
 * optional and called synchronously from the runner; it must not throw.
 */
export interface RunObserver {
  runStarted?(info: { runId: string; dir: string; cases: readonly CaseSpec[] }): void;
  /** A step of the run's set-up worth telling a person (starting the embedded cluster, …). */
  notice?(message: string): void;
  caseStarted?(c: CaseSpec): void;
  caseEvent?(c: CaseSpec, e: CaseEvent): void;
  caseProgress?(c: CaseSpec, p: CaseProgress): void;
  caseFinished?(c: CaseSpec, r: CaseResult): void;
  runFinished?(r: RunResult): void;
}
