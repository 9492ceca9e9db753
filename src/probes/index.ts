import { errorMessage } from '../core/index.js';
import { describeProbe, type ProbeKind, type ProbeSpec } from '../plan/index.js';
import type { ProbeResult } from '../results/index.js';
import { commandProbe } from './command.js';
import { httpProbe } from './http.js';
import { hpaProbe, pdbExistsProbe } from './autoscaling.js';
import { nodesReadyProbe } from './nodes.js';
import { deploymentAvailableProbe, podsSpreadProbe } from './workloads.js';
import type { ProbeContext, ProbeFactory } from './probe.js';

export type { Probe, ProbeContext, ProbeOutcome, ProbeFactory, TargetResolver } from './probe.js';

/**
 * The probes this build runs. The plan format holds every probe kind of the product; a plan
 * that uses one missing here is refused before anything runs.
 */
export const builtinProbes = {
  http: httpProbe,
  command: commandProbe,
  'deployment-available': deploymentAvailableProbe,
  'nodes-ready': nodesReadyProbe,
  'pods-spread': podsSpreadProbe,
  'pdb-exists': pdbExistsProbe,
  hpa: hpaProbe,
} satisfies Partial<Record<ProbeKind, ProbeFactory>>;

export function probeFactory(kind: string): ProbeFactory | undefined {
  return (builtinProbes as Partial<Record<string, ProbeFactory>>)[kind];
}

const RETRY_INTERVAL_MS = 1000;

/**
 * Runs a probe: once, or until it holds for at most `waitFor`; each check bounded by the
 * probe's timeout. Never throws: a probe that cannot run is a failed probe with the reason.
 */
export async function runProbe(spec: ProbeSpec, ctx: ProbeContext): Promise<ProbeResult> {
  const factory = probeFactory(spec.kind);
  const started = ctx.clock.now();
  const result = (ok: boolean, detail: string): ProbeResult => ({
    name: spec.name, kind: spec.kind, description: describeProbe(spec), ok, detail, durationMs: Math.round(ctx.clock.now() - started),
  });
  if (!factory) return result(false, `probe ${spec.kind} is not available in this build of crt`);
  const probe = factory(spec);
  const deadline = started + spec.waitForMs;
  for (let attempt = 1; ; attempt++) {
    let outcome;
    try {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(spec.timeoutMs)]);
      outcome = await probe.check({ ...ctx, signal });
    } catch (err) {
      outcome = { ok: false, detail: errorMessage(err) };
    }
    if (outcome.ok || ctx.signal.aborted || ctx.clock.now() + RETRY_INTERVAL_MS > deadline) {
      const tries = attempt > 1 ? ` (after ${attempt} checks)` : '';
      return result(outcome.ok, `${outcome.detail}${tries}`);
    }
    await ctx.clock.sleep(RETRY_INTERVAL_MS, ctx.signal).catch(() => undefined);
  }
}
