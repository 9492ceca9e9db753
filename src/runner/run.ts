import os from 'node:os';
import path from 'node:path';
import { crtVersion, type Clock } from '../core/index.js';
import { DEFAULT_JOURNAL_NAMESPACE } from '../faults/index.js';
import { localEngine } from './engines.js';
import { clusterIdentity, contextNamespace } from '../kube/index.js';
import { describeCase, type CaseSpec, type Plan, type Selection } from '../plan/index.js';
import { buildStudies, RESULT_SCHEMA_VERSION, type CaseResult, type ImageSnapshot, type RunCounts, type RunResult, type RunTrace } from '../results/index.js';
import { imageRecord, kubernetesVersion, readImages } from './cluster-trace.js';
import { planNamespaces } from './traceability.js';
import { caseStudy, interruption, runCase, type CaseContext, type RunServices } from './case-runner.js';
import { checkContext, checkNamespaces, describeEntry, guardClusterJournal } from './cluster-guard.js';
import { RunLease, needsRunLease } from './cluster-lease.js';
import { RUN_LEASE_NAME, kubeLeaseApi } from './lease-api.js';
import { openCluster, type ClusterSession } from './cluster-session.js';
import { checkReachable, needsCluster, usedTargets } from './preflight.js';
import { PlanTargets } from './targets.js';

export interface RunOptions extends RunServices {
  /** the run folder */
  dir: string;
  selection: Selection;
  /** the command line, for the record */
  command: string;
  /** revert what earlier runs left in the cluster before starting (`--revert-first`) */
  revertFirst?: boolean;
  /** who ran it, which plan, which cases (traceability.ts); the runner adds the cluster's side and records it as `trace` */
  trace?: Omit<RunTrace, 'kubernetesVersion' | 'images'>;
}

export interface RunOutcome {
  result: RunResult;
  /** reverts that failed: the cluster may still hold injected faults (exit 4) */
  revertFailures: string[];
}

/**
 * Runs the selected cases of a plan one after the other and builds the RunResult. Writes
 * nothing itself but through the sinks; the caller writes run.json and the reports.
 */
export async function runPlan(plan: Plan, cases: readonly CaseSpec[], o: RunOptions): Promise<RunOutcome> {
  checkNamespaces(plan, cases, null);
  const cluster = await openCluster(plan, o.dir, o.log, o.signal, (m) => o.observer.notice?.(m));
  let lease: RunLease | undefined;
  try {
    if (cluster) checkContext(plan, cluster.context);
    // the steps that name no namespace act in the context's: checked before anything acts
    if (cluster) checkNamespaces(plan, cases, contextNamespace(cluster.kube.kc));
    // one run per cluster: the lease comes before anything acts (--revert-first, conditions, faults)
    if (cluster && needsRunLease(cases, Boolean(o.revertFirst && cluster.external))) {
      const namespace = plan.cluster?.journalNamespace ?? DEFAULT_JOURNAL_NAMESPACE;
      lease = new RunLease(kubeLeaseApi(cluster.kube, namespace), namespace, { runId: o.runId, clock: o.clock, log: o.log.child({ component: 'run-lease' }), notify: (m) => o.observer.notice?.(m) });
      await lease.acquire();
      o.observer.notice?.(`run lease ${namespace}/${RUN_LEASE_NAME} taken: no other crt run acts on this cluster until this one ends`);
    }
    // every journal entry names the cluster it acts on (none: faults acting on this machine only);
    // read once, and only when something may be reverted: a load-only run needs no more rights
    const identity = cluster && needsRunLease(cases, Boolean(o.revertFirst)) ? await clusterIdentity(cluster.kube) : undefined;
    if (!cluster || identity) o.journal.bindCluster(identity ?? null);
    if (cluster?.external) {
      const store = await guardClusterJournal(plan, cluster, {
        runId: o.runId, dir: o.dir, revertFirst: o.revertFirst ?? false, lease, identity, deps: { clock: o.clock, log: o.log, cwd: path.dirname(plan.file), planFile: plan.file },
        onRevert: (r) => o.observer.notice?.(`--revert-first: ${r.ok ? 'reverted' : 'REVERT FAILED'} ${describeEntry(r.entry)}: ${r.detail}`),
      });
      o.journal.addStore(store);
      o.observer.notice?.(`revert journal: ${path.relative(process.cwd(), path.join(o.dir, 'journal.jsonl'))} and ConfigMap ${store.namespace}/${store.configMap}`);
    }
    const targets = new PlanTargets(plan.targets, cluster ? (ns, name, port) => cluster.serviceUrl(ns, name, port) : undefined);
    if (cluster) await checkReachable(plan, [...usedTargets(cases)].filter((t) => needsCluster(plan.targets[t])), targets);
    const held = lease;
    return await runCases(plan, cases, held ? { ...o, permitInjection: () => held.check() } : o, targets, cluster, held);
  } finally {
    await lease?.release();
    if (cluster) {
      // a cluster reached by kubeconfig outlives the run: only the run's own embedded cluster is stopped
      if (!cluster.external) o.observer.notice?.('stopping the embedded cluster…');
      await cluster.close();
    }
  }
}

async function runCases(plan: Plan, cases: readonly CaseSpec[], o: RunOptions, targets: PlanTargets, cluster: ClusterSession | undefined, lease: RunLease | undefined): Promise<RunOutcome> {
  const started = o.clock.wallNow();
  o.observer.runStarted?.({ runId: o.runId, dir: o.dir, cases });
  const namespaces = planNamespaces(plan, cases, contextNamespace(cluster?.kube.kc));
  const imagesAtStart = cluster && o.trace ? await readImages(cluster.kube, namespaces, o.clock) : null;
  const engines = await engineVersions(cases);
  const { results, revertFailures } = await runEachCase(plan, cases, o, caseContext(plan, o, targets, cluster));
  const trace = o.trace ? await clusterTrace(o, cluster, namespaces, imagesAtStart) : undefined;
  const counts = countVerdicts(results);
  const studies = buildStudies(results);
  const ended = o.clock.wallNow();
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: o.runId,
    plan: planRecord(plan),
    environment: {
      crtVersion, node: process.version, platform: process.platform, arch: process.arch, host: os.hostname(), cpus: os.cpus().length,
      engines, targets: Object.fromEntries(Object.values(plan.targets).map((t) => [t.name, t.url ?? `service ${t.service}`])),
      ...(cluster ? { cluster: cluster.description } : {}),
      // the record itself: its release (and a loss during the reports) is filled in before run.json is written
      ...(lease ? { clusterLease: lease.record } : {}),
      command: o.command,
    },
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    verdict: counts.failed + counts.aborted + counts.inconclusive + counts.notRun === 0 ? 'passed' : 'failed',
    counts,
    interrupted: interruption(o.signal) as RunResult['interrupted'],
    selection: { only: [...o.selection.only], tags: [...o.selection.tags], layers: [...o.selection.layers] },
    cases: results,
    sinks: [],
    reporters: [],
    revertFailures,
    ...(studies.length ? { studies } : {}),
    ...(trace ? { trace } : {}),
  };
  return { result, revertFailures };
}

/** What every case of the run is given: the run's services, the plan's folder and allowlist, and the cluster by reference. */
function caseContext(plan: Plan, o: RunOptions, targets: PlanTargets, cluster: ClusterSession | undefined): CaseContext {
  return {
    ...o,
    planDir: path.dirname(plan.file),
    planFile: plan.file,
    targets,
    influx: plan.sinks.influx,
    namespaces: plan.cluster?.namespaces,
    cluster: cluster ? { kube: cluster.kube, kubeconfig: cluster.kubeconfig && path.resolve(cluster.kubeconfig) } : {},
    nodeTimings: cluster?.nodeTimings,
  };
}

/** The version of each engine the cases use, for the report's environment. */
async function engineVersions(cases: readonly CaseSpec[]): Promise<Record<string, string>> {
  const engines: Record<string, string> = {};
  for (const load of cases.flatMap((c) => (c.load ? [c.load] : []))) {
    // k6-operator runs k6 in the cluster, from the runner image: there is no local binary to check
    if (load.distributed?.via === 'k6-operator') {
      engines['k6 (k6-operator)'] ??= `runner image ${load.distributed.image ?? 'default of the operator'}`;
      continue;
    }
    // each k6 binary is checked and reported: a k6Binary may be an xk6 build with extensions
    const key = load.engine === 'k6' && load.k6Binary !== 'k6' ? `k6 (${load.k6Binary})` : load.engine;
    engines[key] ??= await localEngine(load).version();
  }
  return engines;
}

/** Runs the cases one after the other; once the run is interrupted, the rest are recorded as not run. */
async function runEachCase(plan: Plan, cases: readonly CaseSpec[], o: RunOptions, ctx: CaseContext): Promise<{ results: CaseResult[]; revertFailures: string[] }> {
  const results: CaseResult[] = [];
  const revertFailures: string[] = [];
  for (const c of cases) {
    if (o.signal.aborted) {
      const skipped = notRun(c, `interrupted by ${interruption(o.signal)}`, o.clock);
      results.push(skipped);
      o.sinks.writeCaseResult(o.runId, skipped);
      continue;
    }
    o.observer.caseStarted?.(c);
    const { result, revertFailures: failed } = await runCase(c, ctx);
    results.push(result);
    o.sinks.writeCaseResult(o.runId, result);
    revertFailures.push(...failed);
    o.observer.caseFinished?.(c, result);
  }
  return { results, revertFailures };
}

function planRecord(plan: Plan): RunResult['plan'] {
  return {
    name: plan.name,
    ...(plan.title ? { title: plan.title } : {}),
    ...(plan.system ? { system: plan.system } : {}),
    ...(plan.description ? { description: plan.description } : {}),
    file: plan.display,
    ...(plan.extends ? { extends: plan.extends } : {}),
    versions: { ...plan.versions },
    resolved: plan.resolved,
  };
}

/** The trace the CLI gathered, with the cluster's side: its version, and the images at the start and now. */
async function clusterTrace(o: RunOptions, cluster: ClusterSession | undefined, namespaces: string[], start: ImageSnapshot | null): Promise<RunTrace> {
  const base = o.trace as NonNullable<RunOptions['trace']>;
  if (!cluster || !start) return { ...base, kubernetesVersion: null, images: null };
  const images = imageRecord(namespaces, start, await readImages(cluster.kube, namespaces, o.clock));
  for (const c of images.changes) o.observer.notice?.(`image changed during the run: ${c.namespace} ${c.workload} ${c.container}: ${c.start.join(', ') || '(none)'} → ${c.end.join(', ') || '(none)'}`);
  return { ...base, kubernetesVersion: await kubernetesVersion(cluster.kube), images };
}

function notRun(c: CaseSpec, reason: string, clock: Clock): CaseResult {
  const now = new Date(clock.wallNow()).toISOString();
  return {
    id: c.id, layer: c.layer, spec: describeCase(c), ...(c.study ? { study: caseStudy(c) } : {}), verdict: 'not-run', reason, startedAt: now, endedAt: now,
    originMs: Math.round(clock.now()), durationMs: 0, conditions: [], load: null, phases: [], stages: [],
    expectations: [], recovery: null, events: [],
  };
}

export function countVerdicts(cases: readonly CaseResult[]): RunCounts {
  const n = (v: CaseResult['verdict']) => cases.filter((c) => c.verdict === v).length;
  return {
    total: cases.length, passed: n('passed'), failed: n('failed'), aborted: n('aborted'),
    inconclusive: n('inconclusive'), notRun: n('not-run'), skipped: n('skipped'),
  };
}
