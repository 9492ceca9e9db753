import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Duration, DurationOrZero, JSON_SCHEMA_DRAFT, NonEmptyString, Percent, Selector, StringMap, duration, schemaId, strictObject, tagged } from './schema-parts.js';

/**
 * Triggering actions (faults and steps) of a case's timeline, and the reusable fault
 * definitions of `chaos/*.yaml`. Every fault name of the product is here; which of them this
 * build can perform is the fault registry's business (`src/faults/`).
 */

const podTarget = {
  namespace: Type.Optional(NonEmptyString),
  selector: Type.Optional(Selector),
  names: Type.Optional(Type.Array(NonEmptyString, { minItems: 1 })),
};

const nodePick = {
  node: Type.Optional(NonEmptyString),
  nodeSelector: Type.Optional(Selector),
  nodeOf: Type.Optional(
    strictObject({ namespace: Type.Optional(NonEmptyString), selector: Type.Optional(Selector), pod: Type.Optional(NonEmptyString) }),
  ),
  zone: Type.Optional(Type.String({
    pattern: '^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$',
    description: 'every node of this zone (label topology.kubernetes.io/zone) at once: a zone outage; needs maxPercent as its guard',
    'x-expected': 'a label value such as zone-a or eu-west-1b',
  })),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'how many of the matching nodes' })),
};

const blastRadius = {
  maxPercent: Type.Optional(Percent),
};

export const faultParams = {
  'pod-kill': {
    ...podTarget,
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    percent: Type.Optional(Percent),
    all: Type.Optional(Type.Boolean()),
    gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    pick: Type.Optional(Type.Union([Type.Literal('random'), Type.Literal('oldest'), Type.Literal('newest')], { 'x-expected': 'random, oldest or newest' })),
    seed: Type.Optional(Type.Integer()),
    repeat: Type.Optional(Type.String({ format: 'every', description: 'every <duration>: kill again at this interval' })),
    ...blastRadius,
  },
  'node-drain': {
    ...nodePick,
    force: Type.Optional(Type.Boolean({ description: 'as kubectl drain --force: also evict pods that declare no controller (they are gone for good), and pods of a DaemonSet that no longer exists' })),
    deleteEmptyDirData: Type.Optional(Type.Boolean({ description: 'as kubectl drain --delete-emptydir-data: also evict running pods with emptyDir volumes (their data is lost)' })),
    ignoreDaemonSets: Type.Optional(Type.Boolean({ description: 'as kubectl drain --ignore-daemonsets: leave DaemonSet pods in place instead of refusing the drain' })),
    gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    timeout: Type.Optional(Duration),
    ...blastRadius,
  },
  'node-loss': {
    ...nodePick,
    provider: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('command'), Type.Literal('taint-eviction'), Type.Literal('taint')], {
      'x-expected': 'local, command or taint-eviction',
      description: 'local: the embedded cluster\'s power or link switch; command: your hook; taint-eviction (older name: taint): a NoExecute taint of crt\'s own, an eviction by taint and not a node loss (the node stays Ready)',
    })),
    mode: Type.Optional(Type.Union([Type.Literal('power'), Type.Literal('link')], {
      'x-expected': 'power or link',
      description: 'local provider: cut the node\'s power (its pods die) or its network link (they keep running, unreachable)',
    })),
    command: Type.Optional(NonEmptyString),
    revertCommand: Type.Optional(NonEmptyString),
    timeout: Type.Optional(Duration),
    ...blastRadius,
  },
  'network-cut': {
    namespace: Type.Optional(NonEmptyString),
    selector: Type.Optional(Selector),
    from: Type.Optional(Selector),
    to: Type.Optional(Selector),
    direction: Type.Optional(Type.Union([Type.Literal('ingress'), Type.Literal('egress'), Type.Literal('both')], { 'x-expected': 'ingress, egress or both' })),
    verify: Type.Optional(Type.Boolean()),
    forceReconnect: Type.Optional(Type.Boolean()),
    ...blastRadius,
  },
  rollout: {
    namespace: Type.Optional(NonEmptyString),
    deployment: Type.Optional(Type.String({ minLength: 1, description: 'the Deployment to roll out (or statefulset)' })),
    statefulset: Type.Optional(Type.String({ minLength: 1, description: 'the StatefulSet to roll out (or deployment): its controller replaces the pods one at a time, highest ordinal first, each once the one before is Ready' })),
    action: Type.Optional(Type.Union([Type.Literal('restart'), Type.Literal('image'), Type.Literal('env')], { 'x-expected': 'restart, image or env' })),
    image: Type.Optional(Type.Union([NonEmptyString, StringMap], { 'x-expected': 'an image, or a map of container name to image' })),
    container: Type.Optional(NonEmptyString),
    env: Type.Optional(StringMap),
    strategy: Type.Optional(Type.Union([Type.Literal('recreate'), Type.Literal('rolling-update')], {
      'x-expected': 'recreate or rolling-update',
      description: 'the deployment\'s update strategy for this rollout (put back at the revert); recreate: every old pod goes before a new one starts, and the outage is measured. Default: the deployment\'s own. Not for a statefulset',
    })),
    timeout: Type.Optional(Duration),
  },
  switch: {
    namespace: Type.Optional(NonEmptyString),
    service: NonEmptyString,
    selector: { ...StringMap, description: 'the Service\'s whole new selector (blue/green: the green pods\' labels); the revert puts the previous one back' },
    timeout: Type.Optional(duration('how long the Service\'s endpoints may take to follow the switch (default 60s)')),
  },
  scale: {
    namespace: Type.Optional(NonEmptyString),
    workload: Type.String({
      pattern: '^(deployment|statefulset|hpa)/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      description: 'the workload to scale',
      'x-expected': 'deployment/<name>, statefulset/<name> or hpa/<name>',
    }),
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    minReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
    maxReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  'control-plane': {
    component: Type.Union([Type.Literal('apiserver'), Type.Literal('etcd-member'), Type.Literal('etcd-quorum'), Type.Literal('scheduler'), Type.Literal('controller-manager')], {
      'x-expected': 'apiserver, etcd-member, etcd-quorum, scheduler or controller-manager',
      description: 'what goes: the API server; one etcd member (writes go on); a majority of etcd members (the quorum: the API refuses writes); the scheduler; the controller-manager',
    }),
    provider: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('command')], {
      'x-expected': 'local or command',
      description: 'local (default without command): the embedded cluster\'s real control plane (controlPlane: kubernetes), its processes killed and started again at the revert; command: your commands (kubeadm static pods, k3s/RKE2 services)',
    })),
    command: Type.Optional({ ...NonEmptyString, description: 'provider command: stops the component (run from the plan\'s folder, KUBECONFIG and CRT_* set)' }),
    revertCommand: Type.Optional({ ...NonEmptyString, description: 'provider command: starts it again; crt then waits for the API (timeout)' }),
    timeout: Type.Optional(duration('how long the revert waits for the API to answer and accept writes again (default 120s)')),
  },
  exec: {
    command: NonEmptyString,
    revertCommand: Type.Optional(NonEmptyString),
    timeout: Type.Optional(Duration),
    env: Type.Optional(StringMap),
    cwd: Type.Optional(NonEmptyString),
  },
  manual: {
    instruction: NonEmptyString,
    timeout: Type.Optional(Duration),
  },
} satisfies Record<string, TProperties>;

export type FaultKind = keyof typeof faultParams;
export const FAULT_KINDS = Object.keys(faultParams) as FaultKind[];

/** Each fault kind's parameters as the schema above types them: what a validated plan step holds. */
export type FaultParams = { [K in FaultKind]: Static<TObject<(typeof faultParams)[K]>> };

/**
 * Where a fault acts, for the namespace allowlist and the cluster view: `namespace` (its
 * `namespace:`), `node-of` (nodes, and the namespace of `nodeOf:` when it finds them through pods),
 * `cluster` (nothing namespaced of the system under test), `local` (this machine or a person).
 * A step that names no namespace acts in the kubeconfig context's (kube/ contextNamespace).
 */
export type NamespaceRule = 'namespace' | 'node-of' | 'cluster' | 'local';

/** Each fault kind's namespace rule; each fault definition declares the same (FaultDefinition.namespaceRule). */
export const FAULT_NAMESPACE_RULES = {
  'pod-kill': 'namespace',
  'node-drain': 'node-of',
  'node-loss': 'node-of',
  'network-cut': 'namespace',
  rollout: 'namespace',
  switch: 'namespace',
  scale: 'namespace',
  'control-plane': 'cluster',
  exec: 'local',
  manual: 'local',
} as const satisfies Record<FaultKind, NamespaceRule>;

const stepFields = {
  name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'step name, unique in the case (used by crt confirm)' })),
  description: Type.Optional(Type.String({ description: 'what this step does, shown in the report instead of its parameters' })),
  revertAfter: Type.Optional(duration('revert the fault this long after injecting it')),
};

function branches(withAt: boolean) {
  return FAULT_KINDS.map((kind) =>
    strictObject({
      ...(withAt ? { at: DurationOrZero } : {}),
      fault: Type.Literal(kind),
      ...stepFields,
      ...faultParams[kind],
    }),
  );
}

/** A fault or step in a case's timeline. */
export const FaultActionSchema = tagged('fault', branches(true), 'a fault or step at an offset from the load start');

/** A timeline entry that uses a fault defined in a chaos file; other keys override the file's. */
export const RefActionSchema = Type.Object(
  {
    at: DurationOrZero,
    ref: Type.String({ minLength: 1, description: 'chaos file, relative to the plan file' }),
  },
  { additionalProperties: true },
);

export const ActionSchema = Type.Unsafe<Static<typeof FaultActionSchema> | Static<typeof RefActionSchema>>({
  description: 'a fault or step of the timeline: written out (fault: …), or taken from a chaos file (ref: …)',
  if: { type: 'object', required: ['ref'] },
  then: RefActionSchema,
  else: FaultActionSchema,
});

/** `chaos/*.yaml`: a reusable fault definition (no `at`: the plan says when). */
export const ChaosSchema = tagged('fault', branches(false), 'a reusable fault definition, referenced by trigger[].ref of a plan', {
  $schema: JSON_SCHEMA_DRAFT,
  $id: schemaId('chaos'),
  title: 'crt chaos definition',
});

export type FaultActionDoc = Static<typeof FaultActionSchema>;
export type RefActionDoc = Static<typeof RefActionSchema>;
export type ChaosDoc = Static<typeof ChaosSchema>;
