/**
 * What a run produces. These types are the contract between the runner (which fills them),
 * the sinks (which stream samples and events), and the reporters (which only read them).
 * Everything here is plain JSON: `run.json` is a `RunResult`, each line of `timeseries.jsonl`
 * is a `TimeseriesRecord`, each line of `events.jsonl` is an `EventRecord`.
 */

import type { ExitCodeValue } from '../core/index.js';
import type { DashboardLink, RunTrace, SignOff } from './trace.js';
import type { ExpectationVerdict, FailureCounts, Layer, NodeTimings, Phase, PhaseName, Verdict } from '../vocabulary/index.js';

// the shared words results are written in (vocabulary/), re-exported for readers of results/
export { FAILURE_CLASSES, LAYERS, PHASES, PHASE_NAMES, VERDICTS } from '../vocabulary/index.js';
export type { ExpectationVerdict, FailureClass, FailureCounts, Layer, NodeTimings, Phase, PhaseName, Verdict } from '../vocabulary/index.js';

export const RESULT_SCHEMA_VERSION = 1;

/**
 * One generator's measurements over one second of one stage. A request belongs to the
 * second in which it completed (response, error or timeout).
 */
export interface LoadSample {
  /** start of the second, epoch ms */
  t: number;
  /** index of the second since the load origin (offset 0; a staggered generator starts later) */
  sec: number;
  generator: number;
  stage: number;
  /** completed attempts: ok + failed */
  requests: number;
  ok: number;
  failures: FailureCounts;
  /** every HTTP status received, ok or not */
  statusCodes: Record<string, number>;
  /** response bytes received */
  bytes: number;
  /** requests written to a connection during this second */
  sent: number;
  /**
   * HDR histogram of latency in microseconds, compressed base64. Measured from the intended
   * send time (open model: the schedule; closed model: when the client became ready), so
   * stalls are not hidden by coordinated omission. Failures are recorded with their time to failure.
   */
  latency: string;
  /** HDR histogram of service time in microseconds (from the moment the request was written). */
  service: string;
  /** worst lateness of a send against its intended time, ms (generator or connection backlog) */
  lagMaxMs: number;
  /** event-loop utilisation of the generator thread over the second, 0..1 */
  elu: number;
  /**
   * The generator was saturated in this second (its event loop busy at least 90 % of it): the
   * load it offered and the latency it measured are its own limit as much as the service's.
   * Absent when it was not.
   */
  saturated?: true;
  /** first and last failure instants in the second, epoch ms */
  firstFailureAt?: number;
  lastFailureAt?: number;
  /**
   * With `load.servedBy`: the answers (responses with an HTTP status) by value of that header;
   * `(none)` when it was missing, `(other)` past 100 distinct values. Absent otherwise.
   */
  servedBy?: Record<string, number>;
  /** engine sessions: the sessions held (results/sessions.ts); absent for request engines */
  sessions?: SessionSample;
}

/** Long-lived sessions over one second of one generator (engine sessions). */
export interface SessionSample {
  /** sessions open at the end of the second */
  alive: number;
  /** sessions the opening schedule had started by the end of the second */
  expected: number;
  /** sessions established in the second: first opens and reconnects */
  opened: number;
  /** sessions lost without notice, by how they ended (see src/sessions/connection.ts) */
  dropped: { closed: number; reset: number; timeout: number };
  /** sessions the server asked to reconnect (WebSocket 1012, SSE `event: reconnect`, TCP `RECONNECT`) */
  asked: number;
  /** sessions re-established after a drop or a notice */
  reconnects: number;
  /** connection attempts that failed (refused, reset, timeout) */
  failedAttempts: number;
  /** HDR histogram (µs, compressed base64) of the time from a session's end to its replacement, counted in the second it reconnected */
  reconnectTime: string;
}

/** Sessions over a phase, a stage or a case (engine sessions). */
export interface SessionStats {
  opened: number;
  /** sessions lost without notice, all classes */
  dropped: number;
  droppedBy: SessionSample['dropped'];
  asked: number;
  reconnects: number;
  failedAttempts: number;
  /** time to reconnect, ms (merged histograms) */
  reconnectTime: LatencySummary | null;
  /** fewest sessions open at the end of any second in which all of them should have been */
  minAlive: number | null;
  /** sessions the schedule holds open */
  expected: number;
  /** seconds in which fewer sessions were open than the schedule holds */
  secondsBelowFull: number;
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Statistics over a set of samples (a phase, a stage, a whole case). */
export interface LoadStats {
  /** seconds covered */
  seconds: number;
  requests: number;
  ok: number;
  failed: number;
  /** failed / requests; null when there were no requests */
  errorRate: number | null;
  /** requests per second over the covered seconds */
  rps: number;
  bytes: number;
  sent: number;
  failures: FailureCounts;
  statusCodes: Record<string, number>;
  /** latency from the intended send time, ms; from merged HDR histograms, never averaged percentiles */
  latency: LatencySummary | null;
  /** service time from the actual send, ms */
  service: LatencySummary | null;
  lagMaxMs: number;
  /** with `load.servedBy`: answers by value of that header, summed over generators and seconds (see LoadSample) */
  servedBy?: Record<string, number>;
  /** engine sessions: the sessions held over these seconds */
  sessions?: SessionStats;
}

export interface PhaseResult {
  name: PhaseName;
  /** offsets from the load origin, ms; `end` is exclusive */
  startMs: number;
  endMs: number;
  stats: LoadStats | null;
}

export interface StageResult {
  index: number;
  name: string;
  connections: number;
  rateRps: number | null;
  startMs: number;
  endMs: number;
  stats: LoadStats | null;
}


export interface ExpectationResult {
  /** `whole`, `baseline`, ... or null for case-level expectations (recoveryTime) */
  phase: PhaseName | null;
  metric: string;
  bound: 'max' | 'min';
  threshold: number;
  /** as written in the plan, e.g. `1%`, `200ms` */
  thresholdText: string;
  measured: number | null;
  measuredText: string;
  verdict: ExpectationVerdict;
  /** why it failed when `measured` alone does not say (empty phase, not measured) */
  reason?: string;
}

export type EventKind =
  | 'case-start'
  | 'case-end'
  | 'condition'
  | 'load-start'
  | 'load-end'
  | 'stage'
  | 'phase'
  | 'inject'
  | 'revert'
  | 'abort'
  | 'note'
  | 'error';

export interface CaseEvent {
  /** epoch ms */
  t: number;
  /** offset from the load origin, ms (negative before the load started) */
  offsetMs: number;
  kind: EventKind;
  /** step or fault name, phase name, stage name... */
  name?: string;
  ok?: boolean;
  durationMs?: number;
  detail?: string;
  data?: Record<string, unknown>;
}

export interface ProbeResult {
  name: string;
  kind: string;
  description: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

/** Client view of recovery after the first fault injection. */
export interface RecoveryResult {
  /** offset of the first injection, ms */
  injectedAtMs: number;
  /** success rate a second must reach to count as good, 0..1 */
  successRate: number;
  stableForMs: number;
  /** whether any bad second was seen after the injection */
  impact: boolean;
  firstFailureMs: number | null;
  lastFailureMs: number | null;
  /** offset of the last failure (or silent second) before the first stable good streak after the outage */
  recoveredAtMs: number | null;
  /** recoveredAt − injectedAt; 0 when no impact; null when not recovered before the end */
  recoveryTimeMs: number | null;
  /** failed requests between the injection and the recovery */
  failedRequests: number;
  /** cluster view (watches), when the case ran against a cluster */
  cluster?: ClusterRecovery;
}

/** Cluster view of recovery: when every workload (and the nodes) the faults affected was whole again. */
export interface ClusterRecovery {
  /** subjects that had fewer ready or available replicas (or Ready nodes) than desired after the injection */
  affected: string[];
  /** offset from the origin; null when not whole again before the case ended */
  recoveredAtMs: number | null;
  /** recoveredAt − injection; 0 when nothing was affected */
  recoveryTimeMs: number | null;
}


/** Human-readable restatement of a case's plan, so reporters need no plan logic. */
export interface CaseSpecView {
  title: string;
  objective: string;
  description?: string;
  tags: string[];
  /** general conditions: one line each */
  conditions: string[];
  /** the embedded cluster settings the case sets (`clusterSettings:`), in one line */
  clusterSettings?: string;
  /** triggering actions: one line each, in timeline order */
  trigger: string[];
  /** expected behaviour: one line each */
  expect: string[];
  /** the load, in one line */
  load: string | null;
  abortIf: string[];
  plannedDurationMs: number | null;
}

/**
 * The embedded cluster settings a case ran with (its `clusterSettings:`): applied before its general
 * conditions, set back to the plan's after it. defaultTolerationSeconds applies to pods created
 * during the case only: pods created before keep the tolerations they were admitted with.
 */
export interface CaseClusterSettingsResult {
  /** in effect during the case: the case's values over the plan's */
  applied: NodeTimings;
  /** the plan keys the case set (`heartbeat`, `nodeMonitorGracePeriod`...); the others were the plan's */
  set: string[];
  /** the plan's values, set back after the case */
  plan: NodeTimings;
  /** why setting the plan's values back failed (later cases then ran with these); absent when it worked */
  restoreError?: string;
}

export interface LoadInfo {
  engine: string;
  target: string;
  url: string;
  method: string;
  generators: number;
  staggerMs: number;
  stages: Array<{ name: string; connections: number; rateRps: number | null; durationMs: number | null; requests: number | null }>;
  /** warnings about the measurement itself (generator saturated, could not keep the rate...) */
  warnings: string[];
  /**
   * The seconds in which a generator was saturated, in order: their latency is the generator's as
   * much as the service's (shown as generator-limited). Absent when there were none.
   */
  generatorLimited?: GeneratorLimitedSecond[];
  /** the response header answers were counted by (`load.servedBy`), lower case */
  servedBy?: string;
}

/** One second in which a generator was saturated (see LoadSample.saturated), merged over generators. */
export interface GeneratorLimitedSecond {
  /** index of the second since the load origin */
  sec: number;
  /** highest event-loop utilisation of a generator in the second, 0..1 */
  elu: number;
  requests: number;
  /** latency of the second, ms: measured, but limited by the generator */
  latency: LatencySummary | null;
}

/** The case's place in a load study (plan `study:`), with what the cluster did during each step. */
export interface CaseStudy {
  name: string;
  variant: string;
  /** the rows the case gives, in order: one per stage of a staged load, or the whole case */
  steps: CaseStudyStep[];
}

export interface CaseStudyStep {
  name: string;
  /** index of the stage this step is; null: the whole case */
  stage: number | null;
  /**
   * the most Ready replicas each watched Deployment had during the step (`deployment/<ns>/<name>` →
   * count), from the cluster watch; absent when the case had no cluster view
   */
  maxReady?: Record<string, number>;
}

export interface CaseResult {
  id: string;
  layer: Layer;
  spec: CaseSpecView;
  /** set when the plan puts the case in a load study */
  study?: CaseStudy;
  verdict: Verdict;
  /** one line saying why, for every verdict but passed */
  reason?: string;
  startedAt: string;
  endedAt: string;
  /** epoch ms of the load origin (offset 0); the case start when there is no load */
  originMs: number;
  durationMs: number;
  conditions: ProbeResult[];
  /** set when the case changed the embedded cluster's settings (`clusterSettings:`) */
  clusterSettings?: CaseClusterSettingsResult;
  load: LoadInfo | null;
  phases: PhaseResult[];
  stages: StageResult[];
  expectations: ExpectationResult[];
  recovery: RecoveryResult | null;
  events: CaseEvent[];
}

export interface SinkStatus {
  name: string;
  status: 'ok' | 'degraded' | 'failed';
  written: number;
  errors: string[];
}

export interface ReporterStatus {
  name: string;
  ok: boolean;
  files: string[];
  error?: string;
  /** why the reporter wrote nothing although nothing failed, e.g. `skipped: no Chromium (apt-get install chromium)` */
  skipped?: string;
}

export interface RunEnvironment {
  crtVersion: string;
  node: string;
  platform: string;
  arch: string;
  host: string;
  cpus: number;
  engines: Record<string, string>;
  targets: Record<string, string>;
  /** the cluster the run acted on: `embedded cluster (3 nodes, builtin control plane)` or a kubeconfig server */
  cluster?: string;
  /** the Lease the run held on its cluster (runs that inject faults or revert with --revert-first) */
  clusterLease?: ClusterLeaseRecord;
  command: string;
}

/** One run per cluster: the run's Lease, whom it took it over from, and whether it lost it. */
export interface ClusterLeaseRecord {
  name: string;
  namespace: string;
  durationSec: number;
  /** the lease had lapsed: its holder stopped renewing it (crashed) */
  takenOver?: { runId: string; host: string; pid?: number; startedAt: string; expiredAt: string };
  /** the run lost the lease (taken by another run, or not renewed in time): no fault was injected after `at` */
  lost?: { at: string; reason: string };
  /** deleted at the end of the run */
  released?: boolean;
}

export interface PlanInfo {
  name: string;
  title?: string;
  system?: string;
  description?: string;
  file: string;
  /** the plan whose cases these are, when `file` extends it */
  extends?: string;
  versions: Record<string, string>;
  /** the resolved plan (env substituted, scenarios inlined), for the record */
  resolved: unknown;
}

export interface RunCounts {
  total: number;
  passed: number;
  failed: number;
  aborted: number;
  inconclusive: number;
  notRun: number;
  skipped: number;
}

export interface RunResult {
  schemaVersion: number;
  runId: string;
  plan: PlanInfo;
  environment: RunEnvironment;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  verdict: 'passed' | 'failed';
  counts: RunCounts;
  /** set when a signal ended the run early */
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  selection: { only: string[]; tags: string[]; layers: string[] };
  cases: CaseResult[];
  sinks: SinkStatus[];
  reporters: ReporterStatus[];
  /** reverts that failed after retries: the cluster may still hold these faults */
  revertFailures: string[];
  /** set by `crt run --baseline`: this run against an earlier one (nightly regression) */
  comparison?: RunComparison;
  /** the load studies of the run (cases sharing a plan `study:` name), when there are any */
  studies?: StudyResult[];
  /**
   * the run's one outcome (results/outcome.ts): what the banner, report.md, junit.xml, the exit code
   * and the last stderr line say. Absent in run.json files written before it existed: computed then.
   */
  outcome?: RunOutcomeSummary;
  /** who ran it, which plan exactly, what ran in the cluster (absent in older run.json files) */
  trace?: RunTrace;
  /** the run's dashboard (Grafana), from `--grafana-url` or CRT_GRAFANA_URL, with the run's time range */
  dashboard?: DashboardLink;
  /** the release decision, from `crt report --sign-off file.yaml`; absent: the report shows a blank block */
  signOff?: SignOff;
  /** the key figures of the last runs of the same plan, this one last (from the run folders under --out) */
  trend?: TrendPoint[];
}

/** How a run ended, in one word: see results/outcome.ts. */
export type OutcomeStatus = 'passed' | 'failed' | 'interrupted' | 'revert-failed';

export interface RunOutcomeSummary {
  status: OutcomeStatus;
  /** the process exit code of `crt run` for this outcome */
  exitCode: ExitCodeValue;
  /** `PASSED`, `FAILED`, `INTERRUPTED`, `REVERT FAILED` */
  label: string;
  counts: RunCounts;
  /** rows regressed against the baseline; 0 without a baseline */
  regressions: number;
  /** the baseline run compared with, when there was one */
  baselineRunId: string | null;
  /** faults whose revert failed (the cluster may still hold them) */
  revertFailures: number;
  /** why, one line each, most serious first: what made the outcome other than passed */
  reasons: string[];
  /** `FAILED (exit 1) — 15/15 cases passed, 2 regressions against nightly-41` */
  headline: string;
}

/** The key figures of one run, for the trend over the last runs of a plan. */
export interface TrendPoint {
  runId: string;
  startedAt: string;
  /** the run's outcome label: PASSED, FAILED… */
  outcome: string;
  passed: number;
  /** cases that ran to an outcome (skipped ones left out) */
  cases: number;
  regressions: number | null;
  /** requests over every case's whole load */
  requests: number;
  failed: number;
  /** the highest p95 of a case's whole load, ms, and that case */
  worstP95: { caseId: string; ms: number } | null;
  /** the longest client recovery time of a case, ms; null when no case measured one */
  worstRecovery: { caseId: string; ms: number | null } | null;
}

/** The figures of one step of a load study, from the stage's or the case's merged HDR histograms. */
export interface StudyFigures {
  requests: number;
  failed: number;
  /** failed / requests; null without requests */
  errorRate: number | null;
  rps: number;
  /** latency from the intended send time, ms; null without requests */
  mean: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
}

/** One step as one variant ran it. A step a variant did not run has no cell. */
export interface StudyCell {
  step: string;
  variant: string;
  case: string;
  /** the stage's name, or null when the step is the whole case */
  stage: string | null;
  verdict: Verdict;
  /** null when the step was not measured (case not run, stage without requests) */
  figures: StudyFigures | null;
  /** the most Ready replicas of each watched Deployment during the step; null without a cluster view */
  maxReady: Record<string, number> | null;
}

/**
 * A load study: the cases sharing a `study:` name, as a grid of steps × variants. The first variant
 * (in plan order) is the reference the others are compared with.
 */
export interface StudyResult {
  name: string;
  /** in the order the plan first gives them */
  variants: string[];
  /** in the order the plan first gives them, across variants */
  steps: string[];
  cells: StudyCell[];
}

/** What a comparison row is about: `p95`... per phase; `recoveryTime`, `clusterRecoveryTime` per case. */
export type ComparedMetric = 'p95' | 'p99' | 'errorRate' | 'recoveryTime' | 'clusterRecoveryTime';

/**
 * One metric of one case (and phase) in both runs. Values are in the metric's unit: ms for
 * latencies and recovery times, a ratio (0..1) for errorRate.
 */
export interface MetricComparison {
  /** null for case-level metrics (recovery times) */
  phase: PhaseName | null;
  metric: ComparedMetric;
  baseline: number | null;
  current: number | null;
  /** current − baseline; null when either is missing */
  delta: number | null;
  /** the allowed increase as written (`+20%`, `+30s`); null when the metric is not checked */
  allowed: string | null;
  /** highest current value that is not a regression; null when not checked or no baseline value */
  limit: number | null;
  /** `regressed`: above the limit (or no longer measured, e.g. not recovered); `unchecked`: no threshold or no baseline value */
  status: 'ok' | 'regressed' | 'unchecked';
  note?: string;
  /** phase rows: the requests each run's figures come from (absent for recovery times and in older files) */
  baselineRequests?: number;
  currentRequests?: number;
  /** either run had too few requests for this metric to mean much (results/compare.ts MIN_SAMPLES) */
  fewSamples?: boolean;
}

/**
 * One case in both runs. `compared`: both ran and the baseline case passed. A case that did not pass
 * in the baseline is no reference (`baseline-not-passed`); a case that did not run now is
 * `not-run`; `new` and `missing` are cases present on one side only. Only `compared` cases regress.
 */
export interface CaseComparison {
  id: string;
  status: 'compared' | 'baseline-not-passed' | 'not-run' | 'new' | 'missing';
  baselineVerdict: Verdict | null;
  currentVerdict: Verdict | null;
  metrics: MetricComparison[];
}

export interface RunComparison {
  baseline: { runId: string; startedAt: string; verdict: 'passed' | 'failed'; /** where it was found: a folder */ source: string };
  current: { runId: string; startedAt: string };
  cases: CaseComparison[];
  /** rows with status `regressed` */
  regressions: number;
}

/** A line of `timeseries.jsonl`. */
export interface TimeseriesRecord extends LoadSample {
  run: string;
  case: string;
  layer: Layer;
  /** the phase known when the second ended (see docs/concepts/measurement.md: phases) */
  phase: Phase;
  target: string;
}

/** A line of `events.jsonl`. */
export interface EventRecord extends CaseEvent {
  run: string;
  case: string;
  layer: Layer;
}

/**
 * A line of `cluster.jsonl`: what the cluster looked like at one instant during a case, from
 * watches (one record per change, per workload and for the nodes). The report's cluster timeline,
 * the cluster-view recovery time and the InfluxDB `crt_cluster` measurement read these.
 */
export interface ClusterSampleRecord {
  /** epoch ms */
  t: number;
  run: string;
  case: string;
  layer: Layer;
  phase: Phase;
  /** `workload`: one Deployment/StatefulSet; `nodes`: the cluster's nodes */
  kind: 'workload' | 'nodes';
  /** `<namespace>/<name>` of the workload (with its kind: `deployment/ns/name`), or `nodes` */
  subject: string;
  /** desired replicas (workload) or nodes in total (nodes) */
  desired: number;
  /** ready replicas (workload) or Ready nodes (nodes) */
  ready: number;
  /** available replicas (workload); Ready and schedulable nodes (nodes) */
  available: number;
  /** container restarts summed over the workload's pods (0 for nodes) */
  restarts: number;
}

/**
 * A line of `cluster.jsonl` with `kind: event`: a key Kubernetes Event (a Warning, or a reason such as
 * Killing, Evicted, NodeNotReady, SuccessfulRescale) about an object of the case's namespaces or a node,
 * seen by the cluster watch. One line per occurrence the watch saw: an Event repeated (its count going
 * up) gives another line with the new count, and the same `uid`.
 */
export interface ClusterEventRecord {
  /** the event's own time, epoch ms: its latest occurrence (series.lastObservedTime, else eventTime / lastTimestamp) */
  t: number;
  run: string;
  case: string;
  layer: Layer;
  phase: Phase;
  kind: 'event';
  /** `Normal` or `Warning` */
  type: string;
  reason: string;
  /** the object the event is about: `Pod`, `Node`, `Deployment`, ... */
  objectKind: string;
  /** its name, with its namespace when it has one: `demo/gateway-7d9f-x2k4q`, `node-2` */
  object: string;
  message: string;
  /** occurrences so far (series.count, else count) */
  count: number;
  /** the Event object's uid: the lines of one repeated event share it */
  uid: string;
  /** who reported it: `kubelet`, `deployment-controller`... */
  source: string;
}
