import type { ClusterAccess } from '../kube/index.js';
import type { Clock, Logger } from '../core/index.js';
import type { ProbeSpec } from '../plan/index.js';

/** Turns a target name into the URL to reach it (a URL, or a cluster Service resolved at run time). */
export interface TargetResolver {
  resolve(name: string): Promise<{ url: string; headers: Record<string, string> }>;
}

/** What a probe checks with; `kubeconfig` and `kube` (ClusterAccess) when the plan has a cluster. */
export interface ProbeContext extends ClusterAccess {
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  targets: TargetResolver;
  planDir: string;
}

export interface ProbeOutcome {
  ok: boolean;
  /** one line: what was observed */
  detail: string;
}

/** An executable check: a general condition before a case, or an expectation after it. */
export interface Probe {
  /** One check, bounded by `signal` (the probe's timeout is already folded into it). */
  check(ctx: ProbeContext): Promise<ProbeOutcome>;
}

export type ProbeFactory = (spec: ProbeSpec) => Probe;
