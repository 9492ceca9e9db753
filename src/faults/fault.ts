import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { KubeClients } from '../kube/index.js';
import type { ActionSpec } from '../plan/types.js';

/**
 * The person a `manual` step asks (the terminal, or `crt confirm` from another shell). Provided by
 * the runner; faults only wait on it.
 */
export interface ManualOperator {
  /** Shows the instruction and resolves when the step is confirmed; rejects when `signal` aborts. */
  confirm(req: { caseId: string; step: string; instruction: string }, signal: AbortSignal): Promise<{ by: string }>;
}

export interface FaultContext {
  runId: string;
  caseId: string;
  step: string;
  clock: Clock;
  log: Logger;
  /** aborts a long injection (drain, rollout wait) when the run is interrupted */
  signal: AbortSignal;
  /** folder of the plan file: commands run from there */
  planDir: string;
  /** the kubeconfig of the run's cluster, when the plan has one (commands get it as KUBECONFIG) */
  kubeconfig?: string;
  /** clients of the run's cluster (client-node), when the plan has one: Kubernetes faults act through them */
  kube?: KubeClients;
  /** who confirms manual steps (absent: a manual step cannot run) */
  operator?: ManualOperator;
}

/**
 * How to undo an injection, as plain JSON: written to the journal before the change is made,
 * so the revert can run in this process or, after a crash, from `crt revert` on any machine.
 */
export interface RevertRecord {
  fault: string;
  [key: string]: unknown;
}

/** An injection resolved against the world, not yet performed. */
export interface FaultPlan {
  /** one line: what will be done ("kill 2 pods of app=gateway: gw-1, gw-2") */
  summary: string;
  /** what the fault will touch (pods, nodes, policies, commands) */
  targets: string[];
  /** null when the change cannot be undone (a killed pod) */
  revert: RevertRecord | null;
  /** Performs the change. Called after the journal holds the intent and the revert. */
  apply(): Promise<{ detail?: string; data?: Record<string, unknown> }>;
}

/** A fault of a case's timeline. */
export interface Fault {
  /** Resolves what the fault would touch, without changing anything (also used by --dry-run). */
  plan(ctx: FaultContext): Promise<FaultPlan>;
}

/** A fault kind: how to build it from a plan step, and how to revert a journaled change. */
export interface FaultDefinition {
  create(action: ActionSpec): Fault;
  /** Undoes a change from its record; returns a one-line description of what was undone. */
  revert(record: RevertRecord, ctx: FaultContext): Promise<string>;
}

/** A fault that could not be injected or reverted; `detail` goes to the report. */
export class FaultError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'FaultError';
  }
}
