import { contextNamespace, type ClusterAccess } from '../kube/index.js';
import { errorMessage, type Clock, type Logger } from '../core/index.js';
import type { Journal } from '../faults/index.js';
import type { InfluxTarget, PreparedLoad, ResolvedLoad } from '../load/index.js';
import type { SinkSet } from '../metrics/index.js';
import { describeCase, faultNamespace, type CaseSpec, type ProbeSpec } from '../plan/index.js';
import { runProbe, type ProbeContext, type TargetResolver } from '../probes/index.js';
import type { CaseResult, CaseStudy, Phase, ProbeResult } from '../results/index.js';
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
  /** how the case reaches the run's cluster (empty without one): passed as it is to probes and faults */
  cluster: ClusterAccess;
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

type Finish = (r: Omit<CaseResult, 'id' | 'layer' | 'spec' | 'study' | 'startedAt' | 'endedAt' | 'originMs' | 'durationMs' | 'events'>) => CaseResult;
type CaseOutcome = { result: CaseResult; revertFailures: string[] };

/** What every step of one case shares, by reference: the case, the run's context, its log and events, and how its result is built. */
interface CaseScope {
  c: CaseSpec;
  ctx: CaseContext;
  log: Logger;
  events: CaseEvents;
  probeCtx: ProbeContext;
  finish: Finish;
}

const NOTHING_RAN = { load: null, phases: [], stages: [], expectations: [], recovery: null };

/**
 * One case of the CRT: its cluster settings → general conditions → load and triggering actions together → reverts →
 * post-case probes → phases, expectations, verdict → the plan's cluster settings back. Never throws for the system under test's
 * or the environment's sake: that goes in the result.
 */
export async function runCase(c: CaseSpec, ctx: CaseContext): Promise<CaseOutcome> {
  const s = caseScope(c, ctx);
  s.events.emit({ kind: 'case-start', detail: c.title });
  const skipped = manualSkip(s);
  if (skipped) return { result: s.finish({ verdict: 'skipped', reason: skipped, conditions: [], ...NOTHING_RAN }), revertFailures: [] };
  const settings = await applyClusterSettings(c, ctx.nodeTimings, s.events, s.log);
  if (settings && 'error' in settings) return { result: s.finish({ verdict: 'not-run', reason: settings.error, conditions: [], ...NOTHING_RAN }), revertFailures: [] };
  try {
    const out = await runChecked(s);
    // the same object: restore() below adds restoreError to it if setting the plan's values back fails
    if (settings) out.result.clusterSettings = settings.result;
    return out;
  } finally {
    await settings?.restore();
  }
}

function caseScope(c: CaseSpec, ctx: CaseContext): CaseScope {
  const log = ctx.log.child({ case: c.id });
  const startedAt = new Date(ctx.clock.wallNow()).toISOString();
  const events = new CaseEvents(c, ctx.runId, ctx.clock, ctx.sinks, ctx.observer);
  const probeCtx: ProbeContext = { ...ctx.cluster, clock: ctx.clock, log, signal: ctx.signal, targets: ctx.targets, planDir: ctx.planDir };
  const finish: Finish = (r) => ({
    id: c.id, layer: c.layer, spec: describeCase(c), study: caseStudy(c), startedAt, ...r,
    endedAt: new Date(ctx.clock.wallNow()).toISOString(), originMs: Math.round(events.originMs),
    durationMs: Math.round(ctx.clock.wallNow() - Date.parse(startedAt)), events: events.list,
  });
  return { c, ctx, log, events, probeCtx, finish };
}

/** Why a case with a manual step is skipped (nobody to confirm it), or null. */
function manualSkip(s: CaseScope): string | null {
  const manual = s.c.trigger.find((a) => a.kind === 'manual');
  if (!manual || (s.ctx.operator && s.ctx.operator.mode !== 'skip')) return null;
  const reason = `skipped: manual step ${manual.name} ("${manual.params.instruction}") needs a person — run crt in a terminal, with --wait-confirm (crt confirm from another shell), or with --assume-done`;
  s.events.emit({ kind: 'note', name: manual.name, detail: reason });
  return reason;
}

/** The case once its cluster settings are in effect, as its table of contents. */
async function runChecked(s: CaseScope): Promise<CaseOutcome> {
  const conditions = await runProbes(s, s.c.conditions, '');
  const refused = conditionsRefusal(s, conditions);
  if (refused) return { result: s.finish({ verdict: 'not-run', reason: refused, conditions, ...NOTHING_RAN }), revertFailures: [] };
  const origin = new CaseOrigin(s.ctx.clock);
  const watch = await startWatch(s, origin);
  const load = await prepareLoad(s);
  const driven = await driveCase(s, load, origin, watch);
  const probes = s.ctx.signal.aborted ? [] : await runProbes(s, s.c.expect.probes, 'after the case: ');
  const result = caseResult(s, { conditions, load, driven, probes, watch });
  s.log.info({ verdict: result.verdict, reason: result.reason }, 'case finished');
  return { result, revertFailures: driven.timeline.revertFailures };
}

/** Runs probes one after the other, each one an event. */
async function runProbes(s: CaseScope, specs: readonly ProbeSpec[], prefix: string): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  for (const p of specs) {
    const r = await runProbe(p, s.probeCtx);
    out.push(r);
    s.events.emit({ kind: 'condition', name: p.name, ok: r.ok, durationMs: r.durationMs, detail: `${prefix}${r.detail}` });
  }
  return out;
}

/** Why the case does not run after its conditions (an interruption, a failed condition), or null. */
function conditionsRefusal(s: CaseScope, conditions: readonly ProbeResult[]): string | null {
  const interrupted = interruption(s.ctx.signal);
  if (interrupted) return `interrupted by ${interrupted}`;
  const failed = conditions.find((r) => !r.ok);
  return failed ? `condition ${failed.name} failed: ${failed.detail}` : null;
}

/**
 * The case's origin and phase tracker, set once when the timeline starts: the cluster view starts
 * before it, and tags what it sees before the origin as baseline.
 */
class CaseOrigin {
  private started: { tracker: PhaseTracker; originMs: number } | null = null;

  constructor(private readonly clock: CaseContext['clock']) {}

  start(tracker: PhaseTracker, originMs: number): void {
    this.started = { tracker, originMs };
  }

  phaseNow(): Phase {
    return this.started ? this.started.tracker.phaseAt(this.clock.now() - this.started.originMs) : 'baseline';
  }
}

/** The case's cluster view (workloads, nodes, events), started before the load is prepared; null without a cluster. */
async function startWatch(s: CaseScope, origin: CaseOrigin): Promise<ClusterWatch | null> {
  const { c, ctx, events } = s;
  if (!ctx.cluster.kube) return null;
  const watch = new ClusterWatch({
    kube: ctx.cluster.kube, clock: ctx.clock, log: s.log, run: ctx.runId, case: c.id, layer: c.layer, namespaces: caseNamespaces(c, ctx),
    phase: () => origin.phaseNow(),
    write: (records) => ctx.sinks.writeClusterSamples(records),
    writeEvents: (records) => ctx.sinks.writeClusterEvents(records),
    problem: (detail) => events.emit({ kind: 'error', name: 'cluster-view', detail }),
    note: (detail) => events.emit({ kind: 'note', name: 'cluster-view', detail }),
  });
  await watch.start();
  return watch;
}

/** The case's load before its origin: the target resolved and the engine prepared, or why it could not be. */
interface CaseLoad {
  resolved: ResolvedLoad | null;
  prepared: PreparedLoad | null;
  engineName: string;
  error: string | null;
}

async function prepareLoad(s: CaseScope): Promise<CaseLoad> {
  const { c, ctx } = s;
  const out: CaseLoad = { resolved: null, prepared: null, engineName: c.load?.engine ?? '', error: null };
  if (!c.load) return out;
  try {
    out.resolved = await resolveLoad(c.load, ctx.targets);
    const engine = engineFor(c.load, { runId: ctx.runId, kube: ctx.cluster.kube });
    out.engineName = engine.name;
    out.prepared = await engine.prepare(out.resolved, { maxStageMs: c.timeoutMs, log: s.log, runId: ctx.runId, caseId: c.id, workDir: ctx.dir, influx: ctx.influx });
  } catch (err) {
    out.error = errorMessage(err);
    s.events.emit({ kind: 'error', name: 'load', detail: out.error });
  }
  return out;
}

/** What the timeline and the load left: the origin, the phases, the injections and the load's records. */
interface Driven {
  originMs: number;
  tracker: PhaseTracker;
  timeline: Timeline;
  outcome: LoadOutcome | null;
  timedOut: boolean;
}

/** From the origin: the triggering actions and the load together, until the load ends (or the actions settle), then every revert. */
async function driveCase(s: CaseScope, load: CaseLoad, origin: CaseOrigin, watch: ClusterWatch | null): Promise<Driven> {
  const { c, ctx } = s;
  const abort = caseAbort(s);
  const originMs = ctx.clock.now();
  s.events.setOrigin(originMs);
  const tracker = new PhaseTracker(c.recovery, originMs);
  origin.start(tracker, originMs);
  const timeline = caseTimeline(s, load, tracker, abort.controller.signal);
  let outcome: LoadOutcome | null = null;
  try {
    timeline.start(originMs);
    if (load.prepared && load.resolved) {
      outcome = await driveLoad(load.prepared, {
        c, runId: ctx.runId, targetName: load.resolved.targetName, originMs, now: () => ctx.clock.now(),
        events: s.events, tracker, sinks: ctx.sinks, observer: ctx.observer, abort: abort.controller,
      });
    } else if (!load.error) {
      await timeline.settled(abort.controller.signal);
    }
  } finally {
    abort.dispose();
    await timeline.finish();
    await watch?.stop();
  }
  return { originMs, tracker, timeline, outcome, timedOut: abort.controller.signal.reason instanceof CaseTimeout };
}

/** The case's own abort: the run's signal, or the case's timeout. */
function caseAbort(s: CaseScope): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(s.ctx.signal.reason);
  s.ctx.signal.addEventListener('abort', onRunAbort, { once: true });
  const cancelTimeout = s.ctx.clock.after(s.c.timeoutMs, () => controller.abort(new CaseTimeout()));
  return {
    controller,
    dispose: () => {
      cancelTimeout();
      s.ctx.signal.removeEventListener('abort', onRunAbort);
    },
  };
}

function caseTimeline(s: CaseScope, load: CaseLoad, tracker: PhaseTracker, signal: AbortSignal): Timeline {
  const { c, ctx, events } = s;
  return new Timeline(c.trigger, {
    ...ctx.cluster, runId: ctx.runId, caseId: c.id, planDir: ctx.planDir, planFile: ctx.planFile, operator: ctx.operator, clock: ctx.clock, log: s.log, journal: ctx.journal,
    // the case's clusterSettings over the plan's: what the embedded cluster runs with during the case
    nodeTimings: ctx.nodeTimings && { ...ctx.nodeTimings.plan, ...c.clusterSettings?.values },
    emit: events.emit, signal, permitInjection: ctx.permitInjection,
    onFaultStart: (o) => tracker.faultStarted(o),
    onFaultEnd: (o) => tracker.faultEnded(o),
    onInjected: (inj) => {
      if (inj.data?.forceReconnect !== true || !load.prepared) return;
      if (load.prepared.reconnect) {
        load.prepared.reconnect();
        events.emit({ kind: 'note', name: inj.action.name, detail: 'the load opens new connections (forceReconnect)' });
      } else {
        events.emit({ kind: 'note', name: inj.action.name, detail: `forceReconnect: the ${load.engineName} engine cannot be told to reconnect` });
      }
    },
  });
}

/** Phases, recovery, expectations and the verdict, from everything the case saw. */
function caseResult(s: CaseScope, r: { conditions: ProbeResult[]; load: CaseLoad; driven: Driven; probes: ProbeResult[]; watch: ClusterWatch | null }): CaseResult {
  const { c } = s;
  const { outcome, tracker, timeline, originMs } = r.driven;
  const phases = outcome ? phaseResults(outcome.records, tracker, outcome.endMs) : [];
  const client = outcome ? tracker.recovery() : null;
  const firstInjection = timeline.injections[0];
  const recovery = client && r.watch && firstInjection ? { ...client, cluster: r.watch.recovery(originMs + firstInjection.atMs, originMs) } : client;
  const limitedSecs = outcome?.generatorLimited.map((sec) => sec.sec) ?? [];
  const expectations = [...evaluateExpectations(c, phases, recovery, r.probes, limitedSecs), ...(outcome?.engineExpectations ?? [])];
  const { verdict, reason } = caseVerdict({
    interrupted: interruption(s.ctx.signal),
    timedOutMs: r.driven.timedOut ? c.timeoutMs : null,
    abortHit: outcome?.abortHit ?? null,
    loadError: r.load.error,
    generatorErrors: outcome?.generatorErrors ?? [],
    fdExhausted: outcome?.fdExhausted ?? null,
    injectFailures: timeline.injectFailures,
    ineffective: ineffectiveCuts(timeline.injections, outcome ? outcome.records : null, outcome?.endMs ?? 0, c.load?.timeoutMs ?? 0),
    expectations,
  });
  const stages = outcome ? stageResults(c, outcome, originMs) : [];
  const load = r.load.resolved ? loadInfo(r.load.resolved, r.load.engineName, outcome) : null;
  const result = s.finish({ verdict, reason, conditions: r.conditions, load, phases, stages, expectations, recovery });
  const watch = r.watch;
  if (result.study && watch) result.study = caseStudy(c, (step) => {
    const window = step.stage === null ? phases.find((p) => p.name === 'whole') : stages.find((st) => st.index === step.stage);
    return window ? watch.maxReady(result.originMs + window.startMs, result.originMs + window.endMs) : undefined;
  });
  return result;
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
 * The namespaces a case's cluster view watches: those its faults and Kubernetes probes act in (all of
 * them when a node fault moves every pod of a node); a step that names none acts in the kubeconfig
 * context's namespace (kube/ contextNamespace, as kubectl). A case whose steps act in none watches the
 * plan's allowlist, else the context's namespace. Never more than it needs: crt's RBAC
 * (deploy/k8s/rbac.yaml) grants reads in the target namespaces only.
 */
export function caseNamespaces(c: CaseSpec, ctx: Pick<CaseContext, 'cluster' | 'namespaces'>): string[] | 'all' {
  if (c.trigger.some((a) => a.kind === 'node-drain' || a.kind === 'node-loss')) return 'all';
  const fallback = contextNamespace(ctx.cluster.kube?.kc);
  const out = new Set<string>();
  for (const a of c.trigger) {
    const ns = faultNamespace(a, fallback);
    if (ns) out.add(ns.namespace);
  }
  for (const p of [...c.conditions, ...c.expect.probes]) if (p.kind !== 'http' && p.kind !== 'command') out.add(typeof p.params.namespace === 'string' ? p.params.namespace : fallback);
  if (out.size) return [...out].sort();
  if (ctx.namespaces?.length) return [...ctx.namespaces].sort();
  return [fallback];
}
