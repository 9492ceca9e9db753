import type { NotifyWebhookDoc } from './schema-notify.js';
import type { NodeTimings } from '../vocabulary/index.js';
import type { Layer, PhaseName } from '../vocabulary/index.js';
import type { ClusterDoc, SinksDoc } from './schema-types.js';
import type { FaultKind, FaultParams } from './schema-actions.js';
import type { ProbeKind } from './schema-probes.js';

/** Where something was written, for errors raised after loading (at run time). */
export interface Location {
  file: string;
  line: number;
  col: number;
  path: string;
}

export interface Target {
  name: string;
  /** base URL; null when the target names a cluster Service resolved at run time */
  url: string | null;
  service: string | null;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  location: Location;
}

/** `[lo, hi]` inclusive status ranges: `2xx` → [200, 299]. */
export type StatusRange = readonly [number, number];

export interface StageSpec {
  index: number;
  name: string;
  /** concurrent connections of each generator */
  connections: number;
  /** open model when set: requests per second of each generator */
  rateRps: number | null;
  durationMs: number | null;
  /** request count of each generator */
  requests: number | null;
}

/** engine sessions: long-lived sessions held by each generator (src/sessions/). */
export interface SessionSpec {
  protocol: 'websocket' | 'tcp' | 'sse';
  /** sessions opened per second until `connections` are open */
  openRate: number;
  /** each session sends one message every this often */
  intervalMs: number;
  /** the text of each message */
  message: string;
  /** delay before reconnecting after a drop, doubled by `factor` per failed attempt up to `maxMs` */
  backoff: { initialMs: number; maxMs: number; factor: number };
}

export interface LoadSpec {
  engine: 'autocannon' | 'k6' | 'sessions';
  /** engine sessions: the sessions; absent for the request engines */
  sessions?: SessionSpec;
  /** name of the target in `targets:`, or null when `url` is absolute */
  target: string | null;
  /** absolute URL when the load gives one; otherwise target base URL + path */
  url: string | null;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
  okStatus: StatusRange[];
  /** response header (lower case) whose value names the backend or version that answered; null: not counted */
  servedBy: string | null;
  stages: StageSpec[];
  generators: number;
  staggerMs: number;
  scenarioFile: string | null;
  description: string | null;
  /** engine k6: absolute path of the user's k6 script; null: crt generates one */
  script: string | null;
  /** engine k6: the k6 executable (default `k6` from PATH) */
  k6Binary: string;
  k6: { extraArgs: string[]; env: Record<string, string> };
  distributed: DistributedSpec | null;
  location: Location;
}

export interface DistributedSpec {
  generators: number;
  on: 'cluster';
  via: 'job' | 'k6-operator';
  /** container image of the workers; null: the default for this crt version */
  image: string | null;
  namespace: string;
  /** how long the generators may take to be scheduled, pull their image and start; second 0 is when they do */
  startTimeoutMs: number;
}

export interface ProbeSpec {
  kind: ProbeKind;
  name: string;
  description: string | null;
  timeoutMs: number;
  /** keep checking until it holds, at most this long (0: check once) */
  waitForMs: number;
  /** the probe's own fields, as written */
  params: Record<string, unknown>;
  location: Location;
}

/** A triggering action of kind K, its parameters typed from the schema. */
export interface ActionOf<K extends FaultKind> {
  kind: K;
  /** unique in the case: the `name:` given or `<fault>-<n>` */
  name: string;
  description: string | null;
  atMs: number;
  revertAfterMs: number | null;
  /** the fault's own fields, as written (with a chaos file's fields merged under the plan's) */
  params: FaultParams[K];
  /** chaos file the fault came from */
  ref: string | null;
  location: Location;
}

/** A step of a case's timeline: a union discriminated by `kind`, so that `a.kind === 'exec'` types `a.params`. */
export type ActionSpec = { [K in FaultKind]: ActionOf<K> }[FaultKind];

export type MetricName = 'errorRate' | 'failedRequests' | 'requests' | 'rps' | 'mean' | 'p50' | 'p75' | 'p90' | 'p95' | 'p99' | 'max' | SessionMetric;
export const LATENCY_METRICS: readonly MetricName[] = ['mean', 'p50', 'p75', 'p90', 'p95', 'p99', 'max'];
/** engine sessions: sessions dropped without notice, messages lost, fewest sessions open in a second, reconnect time */
export type SessionMetric = 'sessionsDropped' | 'messagesLost' | 'minSessions' | 'reconnectP95' | 'reconnectMax';
export const SESSION_DURATION_METRICS: readonly MetricName[] = ['reconnectP95', 'reconnectMax'];

export interface Bound {
  bound: 'max' | 'min';
  /** in the metric's unit: ratio for errorRate, ms for latencies and durations, count, req/s */
  value: number;
  /** as written */
  text: string;
}

/** What a phase expectation measures: a metric of the requests, or the answers by `load.servedBy` value. */
export type PhaseMetric = MetricName | 'servedBy' | 'backends';

export interface PhaseExpectation extends Bound {
  phase: PhaseName;
  metric: PhaseMetric;
  /** metric servedBy: the header value whose share is bounded */
  servedByValue?: string;
  location: Location;
}

export interface ExpectSpec {
  phases: PhaseExpectation[];
  recoveryTime: Array<Bound & { location: Location }>;
  clusterRecoveryTime: Array<Bound & { location: Location }>;
  probes: ProbeSpec[];
}

export interface AbortRule {
  text: string;
  metric: MetricName;
  op: '>' | '>=' | '<' | '<=';
  value: number;
  windowMs: number;
  location: Location;
}

export interface RecoverySettings {
  /** a second is good when its success rate is at least this (0..1) */
  successRate: number;
  stableForMs: number;
}

/** A case's `clusterSettings:`: node-failure detection of the embedded cluster for that case only. */
export interface CaseClusterSettings {
  /** what the case sets, in the cluster's units (ms; seconds for defaultTolerationSeconds); the rest stays the plan's */
  values: Partial<NodeTimings>;
  /** the plan's timings (cluster.local.settings over the defaults): what the cluster is set back to after the case */
  plan: NodeTimings;
  location: Location;
}

/** A case's place in a load study (plan `study:`): the rows it gives to its variant's table. */
export interface StudySpec {
  name: string;
  variant: string;
  /** one per stage (by stage name, `stage` its index) of a staged load; else one for the whole case (`stage` null) */
  steps: Array<{ name: string; stage: number | null }>;
  location: Location;
}

export interface CaseSpec {
  id: string;
  layer: Layer;
  title: string;
  objective: string;
  description: string | null;
  tags: string[];
  timeoutMs: number;
  conditions: ProbeSpec[];
  /** embedded cluster settings applied before the conditions and set back after the case; null: the plan's */
  clusterSettings: CaseClusterSettings | null;
  load: LoadSpec | null;
  trigger: ActionSpec[];
  expect: ExpectSpec;
  abortIf: AbortRule[];
  recovery: RecoverySettings;
  /** the load study this case belongs to; null when it is in none */
  study?: StudySpec | null;
  location: Location;
}

export interface Plan {
  /**
   * absolute path of the plan file whose cases these are: with `extends`, the extended plan's
   * (relative paths of the cases, manifests and commands resolve from its folder)
   */
  file: string;
  /** as shown to the user: the file given to crt */
  display: string;
  /** with `extends`: the extended plan, as shown to the user */
  extends?: string;
  name: string;
  title: string | null;
  system: string | null;
  description: string | null;
  owner: string | null;
  versions: Record<string, string>;
  targets: Record<string, Target>;
  cluster: ClusterDoc | null;
  sinks: SinksDoc;
  /** webhooks told of the outcome (`notify:`) */
  notify: readonly NotifyWebhookDoc[];
  cases: CaseSpec[];
  /** the plan document after substitution, with scenario and chaos references resolved */
  resolved: unknown;
  /** secret values substituted from the environment (src/plan/env.ts): the run redacts them from every file */
  secrets: readonly string[];
}
