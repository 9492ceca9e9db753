import type { Clock, Logger } from '../core/index.js';
import type { ClusterAccess } from '../kube/index.js';
import type { ActionOf, ActionSpec, FaultKind, NamespaceRule } from '../plan/index.js';

/**
 * The person a `manual` step asks (the terminal, or `crt confirm` from another shell). Provided by
 * the runner; faults only wait on it.
 */
export interface ManualOperator {
  /** Shows the instruction and resolves when the step is confirmed; rejects when `signal` aborts. */
  confirm(req: { caseId: string; step: string; instruction: string }, signal: AbortSignal): Promise<{ by: string }>;
}

/** What a fault acts with; `kubeconfig` and `kube` (ClusterAccess) when the plan has a cluster. */
export interface FaultContext extends ClusterAccess {
  runId: string;
  caseId: string;
  step: string;
  clock: Clock;
  log: Logger;
  /** aborts a long injection (drain, rollout wait) when the run is interrupted */
  signal: AbortSignal;
  /** folder of the plan file: commands run from there */
  planDir: string;
  /** who confirms manual steps (absent: a manual step cannot run) */
  operator?: ManualOperator;
  /**
   * The environment crt runs in (default process.env): node faults find there the node crt runs on
   * (CRT_NODE_NAME, or its own pod), which they never pick.
   */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * The cluster's node-failure detection as the plan sets it (the embedded cluster's settings with the
   * case's `clusterSettings:` over them); absent on a cluster reached by kubeconfig, whose flags crt
   * cannot read: node-loss then assumes Kubernetes' defaults.
   */
  nodeTimings?: NodeDetectionTimings;
  /** the step the fault was made from, when the run that injected it reverts it (its plan in memory) */
  action?: ActionSpec;
  /** a plan file a revert may read the step from when it has no `action` (`crt revert --plan`, the plan of `--revert-first`) */
  planFile?: string;
}

/** What a node loss's duration depends on (kube-controller-manager's and kube-apiserver's flags). */
export interface NodeDetectionTimings {
  /** --node-monitor-period */
  nodeMonitorPeriodMs: number;
  /** --node-monitor-grace-period */
  nodeMonitorGracePeriodMs: number;
  /** --default-unreachable-toleration-seconds (pods admitted without their own toleration get it) */
  defaultTolerationSeconds: number;
}

/**
 * How to undo an injection, as plain JSON: written to the journal before the change is made,
 * so the revert can run in this process or, after a crash, from `crt revert` on any machine.
 */
export interface RevertRecord {
  fault: string;
  /**
   * What crt set (replicas, a template's hash, a policy's resourceVersion, a cordon, a taint): the
   * revert first checks the object is still so, and leaves it alone when someone changed it since.
   * Absent in records of faults with nothing to compare (exec) and in records of older crt versions.
   */
  set?: object;
  [key: string]: unknown;
}

/** Given to FaultPlan.apply() by the runner. */
export interface ApplyHooks {
  /**
   * Called by apply() as soon as its change is made, with what it set when that is known only then
   * (a template's hash, policies' resourceVersions), before it waits for the change's effect: the
   * journal records it at once, so a crash while waiting keeps it.
   */
  changed(set: Record<string, unknown>): Promise<void>;
}

export interface RevertOptions {
  /** put the state from before the fault back even when someone changed the object since (`crt revert --force`) */
  force?: boolean;
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
  apply(hooks?: ApplyHooks): Promise<AppliedFault>;
}

/** What apply() reports. */
export interface AppliedFault {
  /** one line for the report, after the summary */
  detail?: string;
  /** what the fault measured or made (the event's data, the runner's forceReconnect) */
  data?: Record<string, unknown>;
  /**
   * What keeps running in this process after apply() (a repeating kill). The run that applied the
   * fault stops it as its revert, instead of FaultDefinition.revert(); a revert from the journal
   * (after a crash, `crt revert`) finds it gone with its process.
   */
  live?: LiveFault;
}

/** A fault still acting from this process: stop() ends it and says what it did; idempotent. */
export interface LiveFault {
  stop(): Promise<string>;
}

/** A fault of a case's timeline. */
export interface Fault {
  /** Resolves what the fault would touch, without changing anything (also used by --dry-run). */
  plan(ctx: FaultContext): Promise<FaultPlan>;
}

/**
 * A fault kind K: how to build it from a plan step of that kind (its params typed from the schema),
 * where it acts, and how to revert a journaled change.
 */
export interface FaultDefinition<K extends FaultKind = FaultKind> {
  /** where the fault acts (plan/ FAULT_NAMESPACE_RULES holds the same, for validation and the cluster view) */
  readonly namespaceRule: NamespaceRule;
  create(action: ActionOf<K>): Fault;
  /**
   * Undoes a change from its record; returns a one-line description of what was undone (or that
   * nothing was left to undo). Throws ChangedSinceFault, touching nothing, when the object is no
   * longer as crt set it, unless `opts.force`.
   */
  revert(record: RevertRecord, ctx: FaultContext, opts?: RevertOptions): Promise<string>;
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

/**
 * A revert refused because the object is no longer as crt left it: someone changed it since the
 * fault (a `kubectl scale`, a new image), and putting back the state from before would undo their
 * change. Not retried; `crt revert --force` overwrites.
 */
export class ChangedSinceFault extends FaultError {
  constructor(
    /** the object, e.g. `deployment/demo/gateway` */
    readonly object: string,
    /** what crt set, e.g. `1 replica(s)` */
    readonly crtSet: string,
    /** what is there now */
    readonly now: string,
  ) {
    super(`${object} changed since the fault: crt set ${crtSet}, now ${now}; left as it is`);
    this.name = 'ChangedSinceFault';
  }
}
