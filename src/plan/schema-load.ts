import { Type, type Static } from '@sinclair/typebox';
import { HEADER_NAME_PATTERN, HttpMethod, JSON_SCHEMA_DRAFT, NonEmptyString, StatusMatch, duration, headerMap, httpUrl, schemaId, strictObject } from './schema-parts.js';

/** One step of a sweep: its own concurrency or rate, for its own duration. */
export const StageSchema = strictObject({
  name: Type.Optional(Type.String({ minLength: 1, description: 'shown in the report; default: its concurrency or rate' })),
  duration: Type.Optional(duration('how long this stage runs (default: the load\'s duration)')),
  requests: Type.Optional(Type.Integer({ minimum: 1, description: 'stop the stage after this many requests per generator' })),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'concurrent connections of this stage (default: the load\'s)' })),
  rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'requests per second per generator (open model)' })),
});

/** engine sessions: `connections` long-lived sessions per generator, held for the load's duration. */
export const SessionsSchema = strictObject({
  protocol: Type.Union([Type.Literal('websocket'), Type.Literal('tcp'), Type.Literal('sse')], {
    'x-expected': 'websocket, tcp or sse',
    description: 'websocket: text frames on the URL (http→ws); tcp: lines to the URL\'s host and port, after the server\'s HELLO line; sse: a GET event stream, messages POSTed to the same URL',
  }),
  openRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'sessions opened per second per generator until all are open (default 10)' })),
  interval: Type.Optional(duration('each session sends one message this often (default 1s)')),
  message: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\r\\n]*$', description: 'text of each message, one line (default: ping)' })),
  backoff: Type.Optional(strictObject({
    initial: Type.Optional(duration('wait before reconnecting after a drop (default 100ms); after a reconnect notice the client reconnects at once')),
    max: Type.Optional(duration('longest wait between failed attempts (default 5s)')),
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10, description: 'the wait grows by this factor per failed attempt (default 2)' })),
  }, { description: 'reconnect back-off' })),
}, { description: 'engine sessions: protocol and pace of the sessions; the load timeout bounds each echo' });

/**
 * The fields a load definition may hold, in a scenario file or inline in a case.
 * Every number is per generator: `generators: 5` with `connections: 40` is the 5×40 scenario.
 */
const loadFields = {
  description: Type.Optional(Type.String({ description: 'what this load represents, shown in the report' })),
  engine: Type.Optional(
    Type.Union([Type.Literal('autocannon'), Type.Literal('k6'), Type.Literal('sessions')], { 'x-expected': 'autocannon, k6 or sessions', description: 'load generator (default: autocannon); sessions: long-lived WebSocket, TCP or SSE sessions (see sessions:)' }),
  ),
  target: Type.Optional(Type.String({ minLength: 1, description: 'name of a target declared under targets:' })),
  method: Type.Optional(HttpMethod),
  path: Type.Optional(Type.String({ pattern: '^/', description: 'request path, appended to the target URL' })),
  url: Type.Optional(httpUrl('absolute URL, instead of target + path')),
  headers: Type.Optional(headerMap('request headers, merged over the scenario\'s and the defaults\'')),
  body: Type.Optional(Type.String({ description: 'request body, sent as written' })),
  json: Type.Optional(Type.Unknown({ description: 'a JSON body; sets content-type: application/json' })),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'closed model: concurrent clients, one connection each' })),
  rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'open model: requests per second per generator' })),
  duration: Type.Optional(duration('how long the load runs')),
  requests: Type.Optional(Type.Integer({ minimum: 1, description: 'stop after this many requests per generator' })),
  stages: Type.Optional(Type.Array(StageSchema, { minItems: 1, description: 'a sweep: stages run one after the other, each inheriting the fields it does not set' })),
  generators: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'independent generators, merged into one result' })),
  stagger: Type.Optional(duration('delay between the starts of successive generators')),
  timeout: Type.Optional(duration('request timeout (default: 10s)')),
  okStatus: Type.Optional(Type.Array(StatusMatch, { minItems: 1, description: 'statuses counted as successes (default: 2xx and 3xx)' })),
  servedBy: Type.Optional(
    Type.String({
      pattern: HEADER_NAME_PATTERN,
      'x-expected': 'an HTTP header name such as x-served-by',
      description: 'a response header naming the backend or version that answered (x-served-by, x-version): answers are counted by its value, per second, phase and stage (expect servedBy / backends)',
    }),
  ),
  script: Type.Optional(Type.String({ minLength: 1, description: 'engine k6: a k6 script to run instead of the one crt generates (relative to the file that sets it)' })),
  k6Binary: Type.Optional(Type.String({ minLength: 1, description: 'engine k6: the k6 executable, e.g. one built with xk6 and extensions: a name looked up on PATH, or a path relative to the plan file (default: k6)' })),
  k6: Type.Optional(
    strictObject({
      extraArgs: Type.Optional(Type.Array(Type.String(), { description: 'arguments added to `k6 run`, before the script' })),
      env: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'environment of the k6 process (the script sees them in __ENV)' })),
    }, { description: 'engine k6: extra settings of the k6 process' }),
  ),
  sessions: Type.Optional(SessionsSchema),
  distributed: Type.Optional(
    strictObject({
      generators: Type.Integer({ minimum: 1, maximum: 256, description: 'load generators in the cluster, each running the whole load' }),
      on: Type.Literal('cluster', { description: 'where the generators run: the plan\'s cluster' }),
      via: Type.Optional(Type.Union([Type.Literal('job'), Type.Literal('k6-operator')], { 'x-expected': 'job or k6-operator', description: 'an Indexed Job of crt workers (default), or a k6-operator TestRun (engine k6)' })),
      image: Type.Optional(Type.String({ minLength: 1, description: 'container image of the workers (default: crt.io/crt:<version>, built from deploy/k8s/Dockerfile)' })),
      namespace: Type.Optional(Type.String({ minLength: 1, description: 'namespace the workers run in (default: default)' })),
      startTimeout: Type.Optional(duration('how long the generators may take to be scheduled, pull their image and start (default 2m)')),
    }, { description: 'run the load from N generators inside the cluster, merged exactly into one result' }),
  ),
};

/** `scenarios/*.yaml` */
export const ScenarioSchema = strictObject(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.Optional(NonEmptyString),
    extends: Type.Optional(Type.String({ minLength: 1, description: 'another scenario file this one refines (relative path)' })),
    ...loadFields,
  },
  { $schema: JSON_SCHEMA_DRAFT, $id: schemaId('scenario'), title: 'crt load scenario', description: 'a reusable load definition, referenced by load.scenario of a plan\'s case' },
);

/** `load:` of a case: a scenario reference and/or inline fields (inline fields win). */
export const LoadSchema = strictObject(
  {
    scenario: Type.Optional(Type.String({ minLength: 1, description: 'scenario file, relative to the plan file' })),
    ...loadFields,
  },
  { description: 'HTTP load: a scenario file and/or inline fields (inline fields win, headers are merged)' },
);

export type StageDoc = Static<typeof StageSchema>;
export type ScenarioDoc = Static<typeof ScenarioSchema>;
export type LoadDoc = Static<typeof LoadSchema>;
