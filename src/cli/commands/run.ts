import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { pino } from 'pino';
import { createLogger, ExitCode, formatProblem, systemClock, UsageError, type ExitCodeValue, type Logger } from '../../core/index.js';
import { FileJournalStore, Journal } from '../../faults/index.js';
import { FileSink, InfluxSink, SinkSet, resolveInfluxConfig, type Sink } from '../../metrics/index.js';
import { displayPath, loadPlan, selectCases, type CaseSpec, type Plan, type Selection } from '../../plan/index.js';
import { builtinReporters, renderAll } from '../../report/index.js';
import { checkDashboardTemplate, checkRunId, compareRuns, createRunFolder, dashboardLink, newRunId, readRunFolder, readTrend, removeRefusedRun, RUN_FILES, runOutcome, writeRunJson, type RunResult } from '../../results/index.js';
import { traceBeforeRun, PlanTargets, RunOperator, type ManualMode, type TerminalPrompt, checkNamespaces, checkReachable, checkSupported, needsCluster, runPlan, usedTargets } from '../../runner/index.js';
import type { CliIO } from '../io.js';
import { ProgressView } from '../progress.js';
import { printDryRunResolved } from './dry-run.js';
import { warnFdLimit } from './run-preflight.js';
import { stopOrphans } from './orphans.js';
import { noteOtherPlan, reportComparison, resolveBaseline } from './compare.js';
import { installSignalHandlers } from '../signals.js';
import { recordedCommandLine, runRedactor } from './run-secrets.js';
import { notifyRun, parseNotifyFlag, resolveNotifyTargets } from '../../notify/index.js';

export interface RunFlags {
  /** the embedded cluster's control plane, over the plan's */
  controlPlane?: 'builtin' | 'kubernetes' | 'auto';
  only: string[];
  tags: string[];
  excludeTags: string[];
  layer: string[];
  dryRun: boolean;
  out: string;
  runId?: string;
  logLevel: string;
  progressEvery: number;
  revertFirst: boolean;
  assumeDone: boolean;
  waitConfirm: boolean;
  influxUrl?: string;
  baseline?: string;
  grafanaUrl?: string;
  /** `--notify <format>:<env-var>[:<on>]`, besides the plan's `notify:` */
  notify?: string[];
}

/** How this run treats manual steps: flags first, then whether a person is at a terminal (not in CI). */
export function manualMode(flags: Pick<RunFlags, 'assumeDone' | 'waitConfirm'>, stdinIsTTY: boolean, env: NodeJS.ProcessEnv): ManualMode {
  if (flags.assumeDone) return 'assume-done';
  if (flags.waitConfirm) return 'wait';
  return stdinIsTTY && !env.CI ? 'ask' : 'skip';
}

/** Enter on the terminal answers a manual step; the question is withdrawn when `signal` aborts. */
const terminalPrompt: TerminalPrompt = async (text, signal) => {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    await rl.question(text, { signal });
  } finally {
    rl.close();
  }
};

/** The plan with its embedded cluster on `controlPlane` (`crt run --control-plane`): a UsageError for a plan without one. */
function withControlPlane(plan: Plan, controlPlane: NonNullable<RunFlags['controlPlane']>): Plan {
  const local = plan.cluster?.local;
  if (!local) throw new UsageError(`--control-plane is for the embedded cluster, and ${plan.display} has no cluster.local`, { hint: 'a plan on a kubeconfig cluster runs on that cluster\'s control plane' });
  return { ...plan, cluster: { ...plan.cluster, local: { ...local, controlPlane } } };
}

/** `crt run <plan>`: runs the selected cases and writes the run folder. Returns the exit code. */
export async function runCommand(file: string, flags: RunFlags, io: CliIO, argv: readonly string[]): Promise<ExitCodeValue> {
  const { plan, selection, cases } = selectedPlan(file, flags, io);
  if (flags.dryRun) {
    checkNamespaces(plan, cases, null);
    await printDryRunResolved(plan, cases, io);
    return ExitCode.passed;
  }
  const pre = await preflight(plan, cases, flags, io, argv);
  const { runId, dir, log, sinks } = await openRunFolder(plan, flags, pre, io);
  const journal = new Journal(runId, [new FileJournalStore(path.join(dir, RUN_FILES.journal))]);
  const view = new ProgressView(io.stderr, flags.progressEvery);
  const mode = manualMode(flags, Boolean(process.stdin.isTTY), process.env);
  const operator = new RunOperator(mode, { dir, runId, clock: systemClock, notify: (m) => view.notice(m), ...(mode === 'ask' ? { prompt: terminalPrompt } : {}) });
  const signals = installSignalHandlers(io, journal, dir);
  try {
    const trace = await traceBeforeRun(plan, book(plan), cases, selection, process.env);
    const { result: ran, revertFailures } = await runPlan(plan, cases, {
      runId, dir, clock: systemClock, log, signal: signals.signal, sinks, journal, observer: view, selection, operator,
      command: recordedCommandLine(argv, pre.redactor), revertFirst: flags.revertFirst, trace,
    });
    await sinks.close();
    ran.sinks = sinks.status();
    // a signal during the reports of a run whose cases had all ended still ends it as interrupted
    ran.interrupted ??= signals.received;
    const result = await recordRun(ran, { dir, flags, pre, log });
    view.runFinished(result);
    await tellRun(result, { dir, pre, log, io });
    if (revertFailures.length > 0) {
      io.stderr.write(`REVERT FAILED — the system may still hold injected faults:\n  ${revertFailures.join('\n  ')}\nsee ${path.join(dir, RUN_FILES.journal)}\n`);
    }
    io.stderr.write(`${ran.outcome!.headline}\n`);
    return ran.outcome!.exitCode;
  } catch (err) {
    // refused during set-up (cluster unreachable, a journal or lease refusal, manifests never available…)
    if (view.casesStarted === 0) await dropRefusedRun(dir, sinks, io);
    throw err;
  } finally {
    signals.dispose();
    await sinks.close();
  }
}

/** The plan (with --control-plane) and the cases the flags select; a selection of none is a usage error. */
function selectedPlan(file: string, flags: RunFlags, io: CliIO): { plan: Plan; selection: Selection; cases: CaseSpec[] } {
  // a run id names a folder: checked before anything is read or created
  if (flags.runId !== undefined) checkRunId(flags.runId);
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) io.stderr.write(`${formatProblem(w)}\n`);
  const plan = flags.controlPlane ? withControlPlane(loaded.plan, flags.controlPlane) : loaded.plan;
  const selection: Selection = { only: flags.only, tags: flags.tags, excludeTags: flags.excludeTags, layers: flags.layer };
  const cases = selectCases(plan, selection);
  if (cases.length === 0) {
    throw new UsageError(`no case of ${plan.display} matches the selection`, { hint: `cases: ${plan.cases.map((c) => `${c.id} [${c.tags.join(',')}]`).join(', ')}` });
  }
  return { plan, selection, cases };
}

/** What the checks before the run found, for the run and its end. */
interface Preflight {
  influx: ReturnType<typeof resolveInfluxConfig>;
  redactor: ReturnType<typeof runRedactor>;
  notify: ReturnType<typeof resolveNotifyTargets>;
  grafana: string | undefined;
  baseline: Awaited<ReturnType<typeof resolveBaseline>> | null;
}

/** Every check that can refuse the run before its folder exists: a clear error, not a half-made run. */
async function preflight(plan: Plan, cases: readonly CaseSpec[], flags: RunFlags, io: CliIO, argv: readonly string[]): Promise<Preflight> {
  checkSupported(plan, cases);
  checkNamespaces(plan, cases, null);
  const influx = resolveInfluxConfig(plan.sinks.influx, { url: flags.influxUrl, env: process.env, baseDir: path.dirname(plan.file) });
  const redactor = runRedactor(plan, influx, argv);
  // webhook URLs are secrets: known to the redactor before any log or file is written
  const notify = resolveNotifyTargets([...plan.notify, ...(flags.notify ?? []).map(parseNotifyFlag)], process.env, path.dirname(plan.file));
  for (const t of notify.targets) redactor.add(t.url);
  for (const w of notify.warnings) io.stderr.write(`warning: ${w}\n`);
  const grafana = flags.grafanaUrl ?? (process.env.CRT_GRAFANA_URL || undefined);
  if (grafana) checkDashboardTemplate(grafana, flags.grafanaUrl ? '--grafana-url' : 'CRT_GRAFANA_URL');
  // Targets that name cluster Services are checked once the run's cluster is open.
  const direct = [...usedTargets(cases)].filter((t) => !needsCluster(plan.targets[t]));
  await checkReachable(plan, direct, new PlanTargets(plan.targets));
  warnFdLimit(cases, io);
  // the pods a killed cluster.local run left would hold the loopback addresses this run's cluster needs
  if (plan.cluster?.local) stopOrphans(io);
  // found before the run: an unknown baseline is a usage error, not a run wasted
  const baseline = flags.baseline ? await resolveBaseline(flags.baseline, flags.out, plan.name, undefined, influx) : null;
  if (baseline) noteOtherPlan(baseline.run, plan.name, io);
  if (flags.baseline && !baseline) {
    io.stderr.write(`no last good run of plan ${plan.name} under ${flags.out}/${influx ? ` nor in InfluxDB at ${influx.url}` : ''} yet: this run will not be compared\n`);
  }
  return { influx, redactor, notify, grafana, baseline };
}

/** The run folder, its log and its open sinks; a sink that cannot open removes the folder again. */
async function openRunFolder(plan: Plan, flags: RunFlags, pre: Preflight, io: CliIO): Promise<{ runId: string; dir: string; log: Logger; sinks: SinkSet }> {
  const runId = flags.runId ?? newRunId(plan.name, new Date(), randomBytes(2).toString('hex'));
  const dir = await createRunFolder(flags.out, runId);
  const destination = pino.destination({ dest: path.join(dir, RUN_FILES.log), sync: true });
  const log = createLogger(destination, flags.logLevel, pre.redactor);
  const sinkList: Sink[] = [new FileSink(dir)];
  if (pre.influx) sinkList.push(new InfluxSink({ config: pre.influx, plan: plan.name, dir, log }));
  const sinks = new SinkSet(sinkList, log, pre.redactor);
  await sinks.open().catch(async (err: unknown) => {
    await dropRefusedRun(dir, sinks, io);
    throw err;
  });
  return { runId, dir, log, sinks };
}

/** The run's outcome, comparison, dashboard and trend, then run.json and the reports, rendered from the redacted copy. */
async function recordRun(ran: RunResult, r: { dir: string; flags: RunFlags; pre: Preflight; log: Logger }): Promise<RunResult> {
  if (r.pre.baseline) ran.comparison = compareRuns(ran, r.pre.baseline.run, r.pre.baseline.dir);
  // the one outcome: banner, report.md, junit.xml, run.json, the exit code and the last stderr line
  ran.outcome = runOutcome(ran);
  if (r.pre.grafana) ran.dashboard = dashboardLink(r.pre.grafana, ran);
  // the history is a help to the reader: a folder that cannot be read costs the trend, not the run
  ran.trend = await readTrend(r.flags.out, ran).catch((err: unknown) => {
    r.log.warn({ err: (err as Error).message }, 'trend not read');
    return undefined;
  });
  if (!ran.trend) delete ran.trend;
  // the reports are rendered from this copy: no secret of the run reaches a file
  const result = r.pre.redactor.value(ran);
  await writeRunJson(r.dir, result, r.pre.redactor);
  result.reporters = await renderAll({ run: result, ...(await readBack(r.dir)), dir: r.dir }, builtinReporters, r.log);
  await writeRunJson(r.dir, result, r.pre.redactor);
  return result;
}

/** What the run says at its end: broken reporters and sinks, the report, the comparison, the notifications, the folder. */
async function tellRun(result: RunResult, r: { dir: string; pre: Preflight; log: Logger; io: CliIO }): Promise<void> {
  const { io, dir } = r;
  for (const rep of result.reporters) if (!rep.ok) io.stderr.write(`reporter ${rep.name} failed: ${rep.error ?? ''}\n`);
  for (const rep of result.reporters) if (rep.skipped) io.stderr.write(`reporter ${rep.name} ${rep.skipped}\n`);
  for (const s of result.sinks) if (s.status !== 'ok') io.stderr.write(`sink ${s.name} ${s.status}: ${s.errors.join('; ')}\n`);
  const html = result.reporters.find((rep) => rep.name === 'html')?.files[0];
  io.stderr.write(`report: ${displayPath(path.join(dir, html ?? RUN_FILES.run))}\n`);
  if (result.comparison) reportComparison(result.comparison, io);
  // telling people is a courtesy of the run: a delivery that fails is a warning, never the exit code
  const previousOutcome = result.trend && result.trend.length > 1 ? result.trend[result.trend.length - 2]!.outcome : null;
  for (const d of await notifyRun(result, r.pre.notify.targets, { reportPath: path.resolve(dir, html ?? RUN_FILES.run), previousOutcome })) {
    r.log.info({ notification: d.name, status: d.status, detail: d.detail }, 'notification');
    if (d.status === 'failed') io.stderr.write(`warning: notification ${d.name} not delivered: ${r.pre.redactor.text(d.detail ?? '')}\n`);
    if (d.status === 'sent') io.stderr.write(`notified ${d.name}\n`);
  }
  io.stdout.write(`${dir}\n`);
}

/** A run refused before any case started leaves no half-made folder (unless its journal holds a line); its sinks are closed first. */
async function dropRefusedRun(dir: string, sinks: SinkSet, io: CliIO): Promise<void> {
  await sinks.close();
  if (await removeRefusedRun(dir)) io.stderr.write(`no case ran: removed the run folder ${displayPath(dir)}\n`);
  else io.stderr.write(`no case ran; the run folder ${displayPath(dir)} is kept: its journal holds entries (crt revert --run ${path.basename(dir)})\n`);
}

/** With `extends`, the book whose coverage the run reports is the extended plan (already loaded once: it loads). */
function book(plan: Plan): Plan | null {
  if (!plan.extends) return null;
  try {
    return loadPlan(plan.file).plan;
  } catch {
    return null;
  }
}

/** Reports are rendered from the files, exactly as `crt report` will render them later. */
async function readBack(dir: string) {
  const { timeseries, cluster, clusterEvents } = await readRunFolder(dir);
  return { timeseries, cluster, clusterEvents };
}
