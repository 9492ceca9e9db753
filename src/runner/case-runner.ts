import type { KubeClients } from '../kube/index.js';
import { errorMessage } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Journal } from '../faults/index.js';
import type { InfluxTarget, PreparedLoad, ResolvedLoad } from '../load/index.js';
import type { SinkSet } from '../metrics/sink-set.js';
import { describeCase } from '../plan/describe.js';
import type { CaseSpec } from '../plan/types.js';
import { runProbe, type ProbeContext, type TargetResolver } from '../probes/index.js';
import type { CaseResult, CaseStudy, ProbeResult } from '../results/types.js';
import { CaseEvents } from './case-events.js';
import { driveLoad, type LoadOutcome } from './case-load.js';
import { ineffectiveCuts } from './cut-verify.js';
import { caseVerdict, loadInfo, phaseResults, stageResults } from './case-result.js';
import { engineFor } from './engines.js';
import { evaluateExpectations } from './evaluate.js';
import type { RunObserver } from './observer.js';
import { PhaseTracker } from './phases.js';
import { resolveLoad } from './targets.js';
import { Timeline } from './timeline.js';
import { ClusterWatch } from './cluster-watch.js';
import { applyClusterSettings } from './case-cluster-settings.js';
import type { NodeTimingControl } from './cluster-session.js';
import type { RunOperator } from './operator.js';

/** What every case of a run shares: the run's identity, its services and its signal. */
export interface RunServices {
  runId: string;
  clock: Clock;
  log: Logger;
  /** the run's signal: aborted by the first SIGINT/SIGTERM (the current case stops, its faults are reverted) */
  signal: AbortSignal;
  sinks: SinkSet;
  journal: Journal;
  observer: RunObserver;
  /** who confirms manual steps; without one, cases with a manual step are skipped */
  operator?: RunOperator;
  /** called before each injection: throws when the run may no longer act on its cluster (its lease is lost) */
  permitInjection?: () => void;
}

export interface CaseContext extends RunServices {
  planDir: string;
  /** the plan file (absolute): exec reverts journal it to read their env: values from after a crash */
  planFile?: string;
  /** the run's cluster kubeconfig: exec faults and command probes get it as KUBECONFIG */
  kubeconfig?: string;
  /** clients of the run's cluster, for Kubernetes faults and probes */
  kube?: KubeClients;
  targets: TargetResolver;
  /** the run folder, where engines keep their files (k6 script and output) */
  dir?: string;
  /** the plan's InfluxDB, for engines that write to it themselves (k6 --out influxdb) */
  influx?: InfluxTarget;
  /** the plan's namespace allowlist (cluster.namespaces): what a case that names no namespace watches */
  namespaces?: readonly string[];
  /** the embedded cluster's node-failure detection, for cases with `clusterSettings:` */
  nodeTimings?: NodeTimingControl;
}

class CaseTimeout extends Error {}

/** The name of what interrupted the run (the CLI aborts its signal with 'SIGINT' or 'SIGTERM'), or null. */
export function interruption(signal: AbortSignal): string | null {
  if (!signal.aborted) return null;
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * One case of the CRT: its cluster settings → general conditions → load and triggering actions together → reverts →
 * post-case probes → phases, expectations, verdict → the plan's cluster settings back. Never throws for the system under test's
 * or the environment's sake: that goes in the result.
 */
export async function runCase(c: CaseSpec, ctx: CaseContext): Promise<{ result: CaseResult; revertFailures: string[] }> {
  const log = ctx.log.child({ case: c.id });
  const startedAt = new Date(ctx.clock.wallNow()).toISOString();
  const events = new CaseEvents(c, ctx.runId, ctx.clock, ctx.sinks, ctx.observer);
  const probeCtx: ProbeContext = { clock: ctx.clock, log, signal: ctx.signal, targets: ctx.targets, planDir: ctx.planDir, ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}), ...(ctx.kube ? { kube: ctx.kube } : {}) };
  const base = { id: c.id, layer: c.layer, spec: describeCase(c), ...(c.study ? { study: caseStudy(c) } : {}), startedAt };
  const finish: Finish = (r) => ({
    ...base, ...r, endedAt: new Date(ctx.clock.wallNow()).toISOString(), originMs: Math.round(events.originMs),
    durationMs: Math.round(ctx.clock.wallNow() - Date.parse(startedAt)), events: events.list,
  });
  const empty = { load: null, phases: [], stages: [], expectations: [], recovery: null };

  events.emit({ kind: 'case-start', detail: c.title });
  const manual = c.trigger.find((a) => a.kind === 'manual');
  if (manual && (!ctx.operator || ctx.operator.mode === 'skip')) {
    const reason = `skipped: manual step ${manual.name} ("${String(manual.params.instruction)}") needs a person — run crt in a terminal, with --wait-confirm (crt confirm from another shell), or with --assume-done`;
    events.emit({ kind: 'note', name: manual.name, detail: reason });
    return { result: finish({ verdict: 'skipped', reason, conditions: [], ...empty }), revertFailures: [] };
  }
  const settings = applyClusterSettings(c, ctx.nodeTimings, events, log);
  if (settings && 'error' in settings) return { result: finish({ verdict: 'not-run', reason: settings.error, conditions: [], ...empty }), revertFailures: [] };
  try {
    const out = await runChecked(c, ctx, { log, events, probeCtx, finish });
    // the same object: restore() below adds restoreError to it if setting the plan's values back fails
    if (settings) out.result.clusterSettings = settings.result;
    return out;
  } finally {
    settings?.restore();
  }
}

type Finish = (r: Omit<CaseResult, 'id' | 'layer' | 'spec' | 'study' | 'startedAt' | 'endedAt' | 'originMs' | 'durationMs' | 'events'>) => CaseResult;

/** The case once its cluster settings are in effect: general conditions, then load and triggering actions. */
async function runChecked(c: CaseSpec, ctx: CaseContext, k: { log: Logger; events: CaseEvents; probeCtx: ProbeContext; finish: Finish }): Promise<{ result: CaseResult; revertFailures: string[] }> {
  const { log, events, probeCtx, finish } = k;
  const empty = { load: null, phases: [], stages: [], expectations: [], recovery: null };
  const conditions: ProbeResult[] = [];
  for (const p of c.conditions) {
    const r = await runProbe(p, probeCtx);
    conditions.push(r);
    events.emit({ kind: 'condition', name: p.name, ok: r.ok, durationMs: r.durationMs, detail: r.detail });
  }
  const interrupted = () => interruption(ctx.signal);
  if (interrupted()) return { result: finish({ verdict: 'not-run', reason: `interrupted by ${interrupted()}`, conditions, ...empty }), revertFailures: [] };
  const failed = conditions.find((r) => !r.ok);
  if (failed) {
    return { result: finish({ verdict: 'not-run', reason: `condition ${failed.name} failed: ${failed.detail}`, conditions, ...empty }), revertFailures: [] };
  }

  const watch = ctx.kube ? new ClusterWatch({
    kube: ctx.kube, clock: ctx.clock, log, run: ctx.runId, case: c.id, layer: c.layer, namespaces: caseNamespaces(c, ctx),
    phase: () => (live.tracker && live.originMs !== undefined ? live.tracker.phaseAt(ctx.clock.now() - live.originMs) : 'baseline'),
    write: (records) => ctx.sinks.writeClusterSamples(records),
    writeEvents: (records) => ctx.sinks.writeClusterEvents(records),
    problem: (detail) => events.emit({ kind: 'error', name: 'cluster-view', detail }),
    note: (detail) => events.emit({ kind: 'note', name: 'cluster-view', detail }),
  }) : null;
  /** the phase tracker, once the origin is known: the cluster watch starts before it */
  const live: { tracker?: PhaseTracker; originMs?: number } = {};
  await watch?.start();

  const abort = new AbortController();
  const onRunAbort = () => abort.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onRunAbort, { once: true });
  const cancelTimeout = ctx.clock.after(c.timeoutMs, () => abort.abort(new CaseTimeout()));

  let resolved: ResolvedLoad | null = null;
  let prepared: PreparedLoad | null = null;
  let engineName = c.load?.engine ?? '';
  let loadError: string | null = null;
  if (c.load) {
    try {
      resolved = await resolveLoad(c.load, ctx.targets);
      const engine = engineFor(c.load, ctx);
      engineName = engine.name;
      prepared = await engine.prepare(resolved, {
        maxStageMs: c.timeoutMs, log, runId: ctx.runId, caseId: c.id, ...(ctx.dir ? { workDir: ctx.dir } : {}), ...(ctx.influx ? { influx: ctx.influx } : {}),
      });
    } catch (err) {
      loadError = errorMessage(err);
      events.emit({ kind: 'error', name: 'load', detail: loadError });
    }
  }

  const originMs = ctx.clock.now();
  events.setOrigin(originMs);
  const tracker = new PhaseTracker(c.recovery, originMs);
  Object.assign(live, { tracker, originMs });
  const timeline = new Timeline(c.trigger, {
    runId: ctx.runId, caseId: c.id, planDir: ctx.planDir, ...(ctx.planFile ? { planFile: ctx.planFile } : {}), ...(ctx.operator ? { operator: ctx.operator } : {}), ...(ctx.kubeconfig ? { kubeconfig: ctx.kubeconfig } : {}), ...(ctx.kube ? { kube: ctx.kube } : {}), clock: ctx.clock, log, journal: ctx.journal,
    // the case's clusterSettings over the plan's: what the embedded cluster runs with during the case
    ...(ctx.nodeTimings ? { nodeTimings: { ...ctx.nodeTimings.plan, ...(c.clusterSettings?.values ?? {}) } } : {}),
    emit: events.emit, signal: abort.signal, ...(ctx.permitInjection ? { permitInjection: ctx.permitInjection } : {}),
    onFaultStart: (o) => tracker.faultStarted(o),
    onFaultEnd: (o) => tracker.faultEnded(o),
    onInjected: (inj) => {
      if (inj.data?.forceReconnect !== true) return;
      if (prepared?.reconnect) {
        prepared.reconnect();
        events.emit({ kind: 'note', name: inj.action.name, detail: 'the load opens new connections (forceReconnect)' });
      } else if (prepared) {
        events.emit({ kind: 'note', name: inj.action.name, detail: `forceReconnect: the ${engineName} engine cannot be told to reconnect` });
      }
    },
  });
  let outcome: LoadOutcome | null = null;
  try {
    timeline.start(originMs);
    if (prepared && resolved) {
      outcome = await driveLoad(prepared, {
        c, runId: ctx.runId, targetName: resolved.targetName, originMs, now: () => ctx.clock.now(),
        events, tracker, sinks: ctx.sinks, observer: ctx.observer, abort,
      });
    } else if (!loadError) {
      await timeline.settled(abort.signal);
    }
  } finally {
    cancelTimeout();
    ctx.signal.removeEventListener('abort', onRunAbort);
    await timeline.finish();
    await watch?.stop();
  }

  const probes: ProbeResult[] = [];
  if (!ctx.signal.aborted) {
    for (const p of c.expect.probes) {
      const r = await runProbe(p, probeCtx);
      probes.push(r);
      events.emit({ kind: 'condition', name: p.name, ok: r.ok, durationMs: r.durationMs, detail: `after the case: ${r.detail}` });
    }
  }
  const phases = outcome ? phaseResults(outcome.records, tracker, outcome.endMs) : [];
  const client = outcome ? tracker.recovery() : null;
  const firstInjection = timeline.injections[0];
  const recovery = client && watch && firstInjection ? { ...client, cluster: watch.recovery(originMs + firstInjection.atMs, originMs) } : client;
  const limitedSecs = outcome?.generatorLimited.map((s) => s.sec) ?? [];
  const expectations = [...evaluateExpectations(c, phases, recovery, probes, limitedSecs), ...(outcome?.engineExpectations ?? [])];
  const { verdict, reason } = caseVerdict({
    interrupted: interrupted(),
    timedOutMs: abort.signal.reason instanceof CaseTimeout ? c.timeoutMs : null,
    abortHit: outcome?.abortHit ?? null,
    loadError,
    generatorErrors: outcome?.generatorErrors ?? [],
    fdExhausted: outcome?.fdExhausted ?? null,
    injectFailures: timeline.injectFailures,
    ineffective: ineffectiveCuts(timeline.injections, outcome ? outcome.records : null, outcome?.endMs ?? 0, c.load?.timeoutMs ?? 0),
    expectations,
  });
  const stages = outcome ? stageResults(c, outcome, originMs) : [];
  const result = finish({
    verdict, ...(reason ? { reason } : {}), conditions,
    load: resolved ? loadInfo(resolved, engineName, outcome) : null,
    phases, stages, expectations, recovery,
  });
  if (result.study && watch) result.study = caseStudy(c, (step) => {
    const window = step.stage === null ? phases.find((p) => p.name === 'whole') : stages.find((s) => s.index === step.stage);
    return window ? watch.maxReady(result.originMs + window.startMs, result.originMs + window.endMs) : undefined;
  });
  log.info({ verdict, reason }, 'case finished');
  return { result, revertFailures: timeline.revertFailures };
}

/** The case's load study for its result; `maxReady` gives a step's Ready replicas when the case had a cluster view. */
export function caseStudy(c: CaseSpec, maxReady?: (step: { stage: number | null }) => Record<string, number> | undefined): CaseStudy | undefined {
  if (!c.study) return undefined;
  return {
    name: c.study.name,
    variant: c.study.variant,
    steps: c.study.steps.map((s) => {
      const ready = maxReady?.(s);
      return { name: s.name, stage: s.stage, ...(ready ? { maxReady: ready } : {}) };
    }),
  };
}

/**
 * The namespaces a case's cluster view watches: those its faults and Kubernetes probes name (all of them
 * when a node fault moves every pod of a node); when they name none,
 * the plan's allowlist, else the kubeconfig context's namespace (as probes default), else `default`.
 * Never more than it needs: crt's RBAC (deploy/k8s/rbac.yaml) grants reads in the target namespaces only.
 */
function caseNamespaces(c: CaseSpec, ctx: Pick<CaseContext, 'kube' | 'namespaces'>): string[] | 'all' {
  if (c.trigger.some((a) => a.kind === 'node-drain' || a.kind === 'node-loss')) return 'all';
  const out = new Set<string>();
  for (const a of c.trigger) {
    if (typeof a.params.namespace === 'string') out.add(a.params.namespace);
    const nodeOf = a.params.nodeOf as { namespace?: unknown } | undefined;
    if (nodeOf && typeof nodeOf.namespace === 'string') out.add(nodeOf.namespace);
  }
  for (const p of [...c.conditions, ...c.expect.probes]) if (p.kind !== 'http' && p.kind !== 'command' && typeof p.params.namespace === 'string') out.add(p.params.namespace);
  if (out.size) return [...out].sort();
  if (ctx.namespaces?.length) return [...ctx.namespaces].sort();
  return [ctx.kube?.kc.getContextObject(ctx.kube.kc.getCurrentContext())?.namespace || 'default'];
}
