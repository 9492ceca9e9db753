import { Type, type Static } from '@sinclair/typebox';
import { Duration, JSON_SCHEMA_DRAFT, NonEmptyString, Percent, boundsOnly, definitionRef, duration, headerMap, httpUrl, schemaId, strictObject, threshold } from './schema-parts.js';
import { LoadSchema } from './schema-load.js';
import { ActionSchema } from './schema-actions.js';
import { ProbeSchema } from './schema-probes.js';
import { NotifySchema } from './schema-notify.js';

export { ScenarioSchema, LoadSchema, StageSchema } from './schema-load.js';
export { ActionSchema, ChaosSchema, FaultActionSchema, RefActionSchema, FAULT_KINDS } from './schema-actions.js';
export { ProbeSchema, PROBE_KINDS } from './schema-probes.js';

const latency = (description: string) => Type.Optional(threshold(Duration, 'a duration such as 200ms', description));

/** Assertions on the statistics of one phase. A bare value is an upper bound. */
export const PhaseExpectSchema = strictObject(
  {
    errorRate: Type.Optional(threshold(Percent, 'a percentage such as 1%', 'share of requests that failed (status outside okStatus, timeout, refused...)')),
    failedRequests: Type.Optional(threshold(Type.Integer({ minimum: 0 }), 'a count', 'number of requests that failed')),
    requests: Type.Optional(boundsOnly(Type.Integer({ minimum: 0 }), 'number of requests completed')),
    rps: Type.Optional(boundsOnly(Type.Number({ minimum: 0 }), 'requests completed per second, all generators together')),
    mean: latency('mean latency'),
    p50: latency('median latency'),
    p75: latency('75th percentile of latency'),
    p90: latency('90th percentile of latency'),
    p95: latency('95th percentile of latency'),
    p99: latency('99th percentile of latency'),
    max: latency('highest latency'),
    servedBy: Type.Optional(
      Type.Record(Type.String(), boundsOnly(Percent, 'share of the answered requests (with an HTTP status) that carried this value of load.servedBy'), {
        description: 'per value of the load.servedBy header ((none): header missing): its share of the answers, e.g. "1.1": {min: 10%, max: 30%}',
      }),
    ),
    backends: Type.Optional(boundsOnly(Type.Integer({ minimum: 0 }), 'distinct values of the load.servedBy header seen in the answers ((none) not counted), e.g. {min: 2}')),
    sessionsDropped: Type.Optional(threshold(Type.Integer({ minimum: 0 }), 'a count', 'engine sessions: sessions lost without a reconnect notice (closed, reset, timed out)')),
    messagesLost: Type.Optional(threshold(Type.Integer({ minimum: 0 }), 'a count', 'engine sessions: messages never echoed (with their session, or past the load timeout)')),
    minSessions: Type.Optional(boundsOnly(Type.Integer({ minimum: 0 }), 'engine sessions: fewest sessions open at the end of a second, once all were opened, e.g. {min: 50}')),
    reconnectP95: latency('engine sessions: 95th percentile of the time from a session\'s end to its replacement (0 without reconnects)'),
    reconnectMax: latency('engine sessions: longest time from a session\'s end to its replacement (0 without reconnects)'),
  },
  { description: 'assertions on the requests of one phase; a bare value is a maximum' },
);

const phase = (description: string) => Type.Optional(definitionRef('phaseExpect', PhaseExpectSchema, description));

export const ExpectSchema = strictObject({
  whole: phase('the whole load'),
  baseline: phase('before the first fault is injected'),
  fault: phase('from the first injection until every fault is over'),
  recovery: phase('from the end of the fault until the service is stable again'),
  after: phase('the rest of the load, once recovered'),
  recoveryTime: Type.Optional(
    threshold(Duration, 'a duration such as 150s', 'time from the first injection until the clients see a stable service again'),
  ),
  clusterRecoveryTime: Type.Optional(
    threshold(Duration, 'a duration such as 150s', 'time from the first injection until every workload the faults affected is available again (cluster view, from watches)'),
  ),
  probes: Type.Optional(Type.Array(definitionRef('probe', ProbeSchema), { description: 'checked after the case (e.g. every deployment available again)' })),
}, { description: 'expected behaviour: assertions checked at the end of the case; a bare value is a maximum' });

const increase = (description: string) =>
  Type.Optional(Type.String({ format: 'increase', description: `${description}: +20% (relative to the baseline run), +30s or +50ms (absolute), +25% or +5ms (whichever allows more), or off` }));

/** How much worse than the baseline run a metric may get before `crt compare` / `crt run --baseline` call it a regression. */
export const RegressionSchema = strictObject({
  p95: increase('95th percentile of latency, in every phase'),
  p99: increase('99th percentile of latency, in every phase (default: off)'),
  errorRate: Type.Optional(Type.String({ format: 'rate-increase', description: 'error rate, in every phase, in percentage points: +0.5% allows 1% → 1.5% (default +1%), or off' })),
  recoveryTime: increase('client recovery time (default +30s)'),
  clusterRecoveryTime: increase('cluster recovery time (default +30s)'),
}, { description: 'regression thresholds against the baseline run (crt compare, crt run --baseline); unset keys keep the defaults (p95 +20%, errorRate +1%, recovery times +30s, p99 off)' });

export const RecoverySettingsSchema = strictObject(
  {
    successRate: Type.Optional(Type.String({ format: 'percent', description: 'a second is good when at least this share of its requests succeed (default: 99%)' })),
    stableFor: Type.Optional(duration('recovered after this long of consecutive good seconds (default: 10s)')),
  },
  { description: 'how recovery is detected' },
);

/**
 * A case's node-failure detection settings for the embedded cluster: the keys and units of
 * `cluster.local.settings`, over the plan's values for the case only.
 */
export const CaseClusterSettingsSchema = strictObject({
  heartbeat: Type.Optional(duration('node status period of every kubelet (--node-status-update-frequency)')),
  nodeMonitorPeriod: Type.Optional(duration('how often the node lifecycle controller checks heartbeats (--node-monitor-period)')),
  nodeMonitorGracePeriod: Type.Optional(duration('heartbeat silence after which a node is Unknown (--node-monitor-grace-period)')),
  defaultTolerationSeconds: Type.Optional(Type.Union([Duration, Type.Integer({ minimum: 0 })], {
    'x-expected': 'a duration such as 30s, or a whole number of seconds',
    description: 'how long pods created from the case start tolerate a not-ready or unreachable node (--default-unreachable-toleration-seconds); pods created before keep theirs',
  })),
}, {
  description: 'embedded cluster only: node-failure detection settings for this case (same keys and units as cluster.local.settings), applied before its general conditions and set back to the plan\'s after it',
  minProperties: 1,
});

/** A case's place in a load study: the cases sharing a study name are compared variant against variant, step by step. */
export const StudySchema = strictObject({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._ -]*$', description: 'the study this case belongs to, e.g. load-study: every case with this name is in one comparison' }),
  variant: Type.String({ minLength: 1, description: 'what this case\'s runs have in common against the other variants, e.g. "HPA off" or "HPA on"' }),
  step: Type.Optional(Type.String({ minLength: 1, description: 'the row of a case without stages, e.g. 5x40 (default: the case id); a staged load gives one row per stage, by stage name' })),
}, { description: 'load study: cases sharing a study name form one comparison (a table per variant and one variant against the other), one row per stage or case' });

export const CaseSchema = strictObject({
  id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9._-]*$', description: 'unique case id, e.g. LOG-03' }),
  title: Type.String({ minLength: 1, description: 'one line, shown in the report' }),
  objective: Type.String({ minLength: 1, description: 'CRT objective: what the case demonstrates' }),
  description: Type.Optional(Type.String({ description: 'more detail, shown in the report' })),
  conditions: Type.Optional(Type.Array(definitionRef('probe', ProbeSchema), { description: 'general conditions: probes that must hold before the case starts' })),
  clusterSettings: Type.Optional(CaseClusterSettingsSchema),
  load: Type.Optional(definitionRef('load', LoadSchema)),
  trigger: Type.Optional(Type.Array(definitionRef('action', ActionSchema), { description: 'triggering actions: a timeline of faults and steps' })),
  expect: Type.Optional(ExpectSchema),
  abortIf: Type.Optional(
    Type.Array(Type.String({ format: 'abort-rule' }), { description: 'e.g. "errorRate > 50% for 10s": stop the case early and mark it aborted' }),
  ),
  recovery: Type.Optional(RecoverySettingsSchema),
  tags: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }), { description: 'selected with --tags, left out with --exclude-tags' })),
  timeout: Type.Optional(duration('the case is stopped after this long (default: its planned duration + 5 minutes)')),
  regression: Type.Optional({ ...RegressionSchema, description: 'this case\'s regression thresholds, over the plan\'s regression:' }),
  study: Type.Optional(StudySchema),
});

export const TargetSchema = strictObject({
  url: Type.Optional(httpUrl('base URL, e.g. http://127.0.0.1:8080')),
  service: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[0-9]+)?$',
      description: 'a Service of the cluster, resolved at run time',
      'x-expected': 'namespace/name or namespace/name:port',
    }),
  ),
  headers: Type.Optional(headerMap('headers sent with every request to this target')),
  connectTimeout: Type.Optional(duration('connection timeout (default: 5s)')),
}, { description: 'a service under test: a url, or a cluster service' });

export const ClusterSchema = strictObject({
  local: Type.Optional(
    strictObject({
      nodes: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
      controlPlane: Type.Optional(Type.Union([Type.Literal('builtin'), Type.Literal('kubernetes'), Type.Literal('auto')], {
        description: 'builtin: crt\'s own API server; kubernetes: the real etcd, kube-apiserver, kube-controller-manager and kube-scheduler (crt cluster install; root); auto (the default, or CRT_CONTROL_PLANE\'s): kubernetes when it can run here (root, network namespaces, nftables, the binaries in crt\'s cache), else builtin, saying why',
      })),
      manifests: Type.Optional(Type.Array(NonEmptyString)),
      settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
  kubeconfig: Type.Optional(NonEmptyString),
  context: Type.Optional(NonEmptyString),
  contexts: Type.Optional(Type.Array(NonEmptyString, { description: 'kubeconfig contexts this plan may act on' })),
  namespaces: Type.Optional(Type.Array(NonEmptyString, { description: 'namespaces this plan may act on' })),
  journalNamespace: Type.Optional(NonEmptyString),
}, { description: 'the Kubernetes cluster faults and probes act on: the embedded one (local) or a kubeconfig context' });

/** Names of plan keys that would hold a secret: refused with a hint (credentials come from env or files). */
export const SECRET_KEY_HINTS: Readonly<Record<string, string>> = {
  password: 'credentials never go in a plan (run.json records the resolved plan): use passwordEnv or passwordFile, or set CRT_INFLUX_PASSWORD',
  token: 'credentials never go in a plan (run.json records the resolved plan): use tokenEnv or tokenFile, or set CRT_INFLUX_TOKEN',
};

const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'name of an environment variable' });

export const SinksSchema = strictObject({
  influx: Type.Optional(
    strictObject({
      url: httpUrl('base URL of the InfluxDB HTTP API, without credentials (--influx-url and CRT_INFLUX_URL override it)', '^https?://[^/@]+(/.*)?$'),
      database: NonEmptyString,
      retentionPolicy: Type.Optional(NonEmptyString),
      username: Type.Optional(NonEmptyString),
      usernameEnv: Type.Optional({ ...EnvName, description: 'environment variable holding the username (default CRT_INFLUX_USERNAME)' }),
      passwordEnv: Type.Optional({ ...EnvName, description: 'environment variable holding the password (default CRT_INFLUX_PASSWORD)' }),
      passwordFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the password (relative to the plan)' })),
      tokenEnv: Type.Optional({ ...EnvName, description: 'environment variable holding an API token for InfluxDB 2.x/3.x (default CRT_INFLUX_TOKEN)' }),
      tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the API token (relative to the plan)' })),
    }, { description: 'InfluxDB that receives the time series of the run; credentials come from the environment or files, never from the plan' }),
  ),
}, { description: 'where time series go besides the run folder' });

const layer = (description: string) => Type.Optional(Type.Array(definitionRef('case', CaseSchema), { description }));

export const PlanSchema = strictObject(
  {
    $schema: Type.Optional(Type.String({ description: 'JSON Schema of this file, for editors' })),
    apiVersion: Type.Literal('crt/v1', { description: 'version of the plan format' }),
    kind: Type.Optional(Type.Literal('Plan')),
    metadata: strictObject(
      {
        name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'short name of the plan, used in report folder names' }),
        title: Type.Optional(Type.String({ description: 'title of the report' })),
        system: Type.Optional(Type.String({ description: 'the system under test' })),
        description: Type.Optional(Type.String()),
        owner: Type.Optional(Type.String({ description: 'who answers for this plan' })),
        versions: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()], { 'x-expected': 'a version string or number' }), { description: 'version labels stamped in the report' })),
      },
      { description: 'what this plan tests, printed at the top of the report' },
    ),
    defaults: Type.Optional(
      strictObject(
        {
          timeout: Type.Optional(duration('timeout of every case that sets none (default: its planned duration + 5 minutes)')),
          recovery: Type.Optional(RecoverySettingsSchema),
          load: Type.Optional(definitionRef('load', LoadSchema)),
        },
        { description: 'what every case starts from; a case overrides them' },
      ),
    ),
    targets: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }), TargetSchema, {
        description: 'the services under load, by name (load.target, http probes)',
        additionalProperties: false,
      }),
    ),
    cluster: Type.Optional(ClusterSchema),
    sinks: Type.Optional(SinksSchema),
    notify: Type.Optional(NotifySchema),
    regression: Type.Optional(RegressionSchema),
    extends: Type.Optional(Type.String({ minLength: 1, description: 'another plan (relative to this file) whose cluster, targets, defaults and cases this one runs; this file sets metadata, select, sinks, notify and regression' })),
    select: Type.Optional(
      strictObject(
        {
          tags: Type.Optional(Type.Array(NonEmptyString, { minItems: 1, description: 'keep the cases with any of these tags' })),
          excludeTags: Type.Optional(Type.Array(NonEmptyString, { minItems: 1, description: 'leave out the cases with any of these tags' })),
          layers: Type.Optional(Type.Array(Type.Union([Type.Literal('physical'), Type.Literal('logical'), Type.Literal('auxiliary')], { 'x-expected': 'physical, logical or auxiliary' }), { minItems: 1 })),
          only: Type.Optional(Type.Array(NonEmptyString, { minItems: 1, description: 'keep only these case ids' })),
        },
        { description: 'with extends: the cases of the extended plan this one runs (as --tags, --exclude-tags, --layer, --only)' },
      ),
    ),
    layers: Type.Optional(strictObject(
      {
        physical: layer('hardware and links: servers, switches, firewalls, VPN, internet'),
        logical: layer('virtualisation and deployment: VMs, nodes, pods, services'),
        auxiliary: layer('backups and the restore cycle, monitoring and alerting'),
      },
      { description: 'the test cases, by CRT layer (from the extended plan with extends)' },
    )),
  },
  {
    $schema: JSON_SCHEMA_DRAFT,
    $id: schemaId('plan'),
    title: 'crt test plan (CRT, cahier de recette des tests)',
    description: 'a CRT: test cases in three layers, each with its objective, conditions, triggering actions and expected behaviour',
    definitions: { case: CaseSchema, load: LoadSchema, action: ActionSchema, probe: ProbeSchema, phaseExpect: PhaseExpectSchema },
  },
);

export type PlanDoc = Static<typeof PlanSchema>;
export type CaseDoc = Static<typeof CaseSchema>;
export type CaseClusterSettingsDoc = Static<typeof CaseClusterSettingsSchema>;
export type ExpectDoc = Static<typeof ExpectSchema>;
export type PhaseExpectDoc = Static<typeof PhaseExpectSchema>;
export type RegressionDoc = Static<typeof RegressionSchema>;
export type StudyDoc = Static<typeof StudySchema>;
export type TargetDoc = Static<typeof TargetSchema>;
