import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { Duration, HEADER_NAME_PATTERN, HttpMethod, NonEmptyString, Selector, StatusMatch, StringMap, headerMap, httpUrl, strictObject, tagged, threshold } from './schema-parts.js';

/**
 * Probes: executable general conditions (checked before a case) and post-case expectations.
 * All probe kinds of the product are described here; the probe registry says which this build runs.
 */

export const probeParams = {
  http: {
    target: Type.Optional(NonEmptyString),
    url: Type.Optional(httpUrl()),
    path: Type.Optional(Type.String({ pattern: '^/' })),
    method: Type.Optional(HttpMethod),
    headers: Type.Optional(headerMap()),
    body: Type.Optional(Type.String()),
    status: Type.Optional(Type.Union([StatusMatch, Type.Array(StatusMatch, { minItems: 1 })], { 'x-expected': 'a status (200, 2xx, 200-299) or a list of them' })),
    bodyContains: Type.Optional(Type.String()),
    bodyMatches: Type.Optional(Type.String({ format: 'regex' })),
    header: Type.Optional(Type.Record(Type.String({ pattern: HEADER_NAME_PATTERN }), Type.String({ format: 'regex' }), { description: 'header name → regular expression its value must match' })),
    maxLatency: Type.Optional(Duration),
  },
  'deployment-available': {
    namespace: Type.Optional(NonEmptyString),
    deployment: Type.Optional(Type.String({ minLength: 1, description: 'the Deployment (default: every one of the namespace, or those the selector matches)' })),
    selector: Type.Optional(Selector),
  },
  'nodes-ready': {
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'at least this many nodes Ready' })),
    all: Type.Optional(Type.Boolean()),
  },
  'pods-spread': {
    namespace: Type.Optional(NonEmptyString),
    selector: Selector,
    minNodes: Type.Integer({ minimum: 1 }),
  },
  'pdb-exists': {
    namespace: Type.Optional(NonEmptyString),
    deployment: Type.Optional(Type.String({ minLength: 1, description: 'the Deployment whose pods a PodDisruptionBudget must cover' })),
    selector: Type.Optional(Selector),
  },
  hpa: {
    namespace: Type.Optional(NonEmptyString),
    workload: Type.String({ minLength: 1, description: 'the HPA\'s scale target (e.g. gateway), or the HPA\'s own name' }),
    enabled: Type.Optional(Type.Boolean()),
    minReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    maxReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    currentReplicas: Type.Optional(threshold(Type.Integer({ minimum: 0 }), 'a replica count')),
  },
  command: {
    command: NonEmptyString,
    expectExit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    outputMatches: Type.Optional(Type.String({ format: 'regex' })),
    env: Type.Optional(StringMap),
    cwd: Type.Optional(NonEmptyString),
  },
} satisfies Record<string, TProperties>;

export type ProbeKind = keyof typeof probeParams;
export const PROBE_KINDS = Object.keys(probeParams) as ProbeKind[];

const probeFields = {
  name: Type.Optional(NonEmptyString),
  description: Type.Optional(Type.String()),
  timeout: Type.Optional(Duration),
  waitFor: Type.Optional(Duration),
};

export const ProbeSchema = tagged(
  'probe',
  PROBE_KINDS.map((kind) => strictObject({ probe: Type.Literal(kind), ...probeFields, ...probeParams[kind] })),
  'a probe: an executable check',
);

export type ProbeDoc = Static<typeof ProbeSchema>;
