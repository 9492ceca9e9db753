import { parseDuration } from '../core/index.js';
import type { FileSet } from './files.js';
import { faultNamespace, refusedNamespace } from './namespaces.js';
import { resolveChaosRef } from './references.js';
import type { FaultKind } from './schema-actions.js';
import type { ProbeDoc } from './schema-probes.js';
import { closest } from './suggest.js';
import { location } from './normalize-load.js';
import type { ActionSpec, ProbeSpec, Target } from './types.js';
import type { DocPath, YamlSource } from './yaml-source.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/** A problem with a fault's fields, located at `key` when one key is the culprit. */
type Finding = { message: string; key?: string; hint?: string };
type Check = (p: Record<string, unknown>) => Finding | null;

const oneOf = (keys: string[], what: string): Check => (p) => {
  const set = keys.filter((k) => p[k] !== undefined);
  if (set.length === 0) return { message: `${what}: set one of ${keys.join(', ')}` };
  if (set.length > 1) return { message: `${what}: set only one of ${set.join(', ')}`, key: set[1] as string };
  return null;
};
const atMostOne = (keys: string[]): Check => (p) => {
  const set = keys.filter((k) => p[k] !== undefined);
  return set.length > 1 ? { message: `set only one of ${set.join(', ')}`, key: set[1] as string } : null;
};
const requires = (key: string, when: [string, unknown]): Check => (p) =>
  p[when[0]] === when[1] && p[key] === undefined ? { message: `${key} is required with ${when[0]}: ${String(when[1])}`, key: when[0] } : null;

const NODE_PICKS = ['node', 'nodeSelector', 'nodeOf', 'zone'];
/** A zone outage takes the whole zone: no count that would leave part of it, and a blast-radius guard always. */
const zoneChecks: Check[] = [
  (p) => (p.zone !== undefined && p.count !== undefined ? { message: 'count cannot go with zone: a zone outage takes every node of the zone', key: 'count' } : null),
  (p) => (p.zone !== undefined && p.maxPercent === undefined ? {
    message: 'zone needs maxPercent', key: 'zone',
    hint: 'the guard against a zone holding more of the cluster than meant, e.g. maxPercent: 34% for one zone of three',
  } : null),
];

/** Combinations the schema cannot say. One table for every fault kind. */
const FAULT_CHECKS: Record<FaultKind, Check[]> = {
  'pod-kill': [oneOf(['selector', 'names'], 'which pods'), atMostOne(['count', 'percent', 'all'])],
  'node-drain': [oneOf(NODE_PICKS, 'which node'), ...zoneChecks],
  'node-loss': [
    oneOf(NODE_PICKS, 'which node'), ...zoneChecks, requires('command', ['provider', 'command']),
    (p) => {
      const provider = (p.provider as string | undefined) ?? (p.command !== undefined ? 'command' : 'local');
      return p.mode === 'link' && provider !== 'local' ? {
        message: `mode: link needs provider: local (the embedded cluster's link switch), not ${provider}`, key: 'mode',
        hint: 'on another cluster cut the node\'s link with your own hook (provider: command, e.g. a firewall rule on the node, with its revertCommand), or use provider: taint-eviction (an eviction by taint, not a node loss)',
      } : null;
    },
  ],
  'network-cut': [
    (p) => (p.selector === undefined && (p.from === undefined || p.to === undefined) ? { message: 'set selector (pods to isolate), or from and to (traffic to cut)' } : null),
    (p) => (p.selector !== undefined && (p.from !== undefined || p.to !== undefined) ? { message: 'set either selector, or from and to, not both', key: p.from !== undefined ? 'from' : 'to' } : null),
  ],
  rollout: [
    oneOf(['deployment', 'statefulset'], 'which workload'), requires('image', ['action', 'image']), requires('env', ['action', 'env']),
    (p) => (p.statefulset !== undefined && p.strategy !== undefined ? {
      message: 'strategy is for a deployment: a StatefulSet has no recreate strategy', key: 'strategy',
      hint: 'a StatefulSet rolls its pods one at a time (RollingUpdate) or when they are deleted (OnDelete); leave strategy out',
    } : null),
  ],
  scale: [
    (p) => (p.replicas === undefined && p.minReplicas === undefined && p.maxReplicas === undefined ? { message: 'set replicas, or minReplicas/maxReplicas for an hpa' } : null),
    (p) => (typeof p.minReplicas === 'number' && typeof p.maxReplicas === 'number' && p.minReplicas > p.maxReplicas
      ? { message: `minReplicas ${p.minReplicas} is above maxReplicas ${p.maxReplicas}`, key: 'minReplicas', hint: 'the API server would refuse the HPA: swap them' } : null),
  ],
  switch: [(p) => (p.selector && typeof p.selector === 'object' && Object.keys(p.selector).length === 0
    ? { message: 'selector must name at least one label: an empty selector would send the Service\'s traffic to no pod or, on some clusters, to none at all', key: 'selector' } : null)],
  'control-plane': [
    (p) => (controlPlaneProvider(p) === 'command' && p.command === undefined ? { message: 'command is required with provider: command: the command that stops the component', key: 'provider' } : null),
    (p) => (controlPlaneProvider(p) === 'command' && p.revertCommand === undefined ? {
      message: 'revertCommand is required with provider: command', key: 'command',
      hint: 'the command that starts the component again: crt runs it at the revert (revertAfter, the case\'s end, crt revert) and waits for the API',
    } : null),
    (p) => (controlPlaneProvider(p) === 'local' && p.revertCommand !== undefined ? { message: 'revertCommand goes with provider: command', key: 'revertCommand' } : null),
  ],
  exec: [],
  manual: [],
};

const controlPlaneProvider = (p: Record<string, unknown>): string => (p.provider as string | undefined) ?? (p.command !== undefined ? 'command' : 'local');

/**
 * A control-plane fault on the embedded cluster acts on the real control plane's processes: the builtin
 * one has none (crt's own API server in this process). `controlPlane`: the plan's `cluster.local`
 * control plane, null on a kubeconfig cluster (whose switch, if any, is found at run time).
 */
function controlPlaneFinding(p: Record<string, unknown>, controlPlane: string | null | undefined): Finding | null {
  if (controlPlaneProvider(p) !== 'local' || controlPlane !== 'builtin') return null;
  return {
    message: 'control-plane needs the embedded cluster\'s real control plane: cluster.local.controlPlane is builtin (crt\'s own API server, which has no etcd, scheduler or controller-manager processes to stop)',
    key: 'component',
    hint: 'set cluster.local.controlPlane: kubernetes (root, crt cluster install), e.g. in a plan of its own as test-plans/control-plane.yaml; on a real cluster use provider: command',
  };
}

/** Which faults can be reverted, and under which condition (for `revertAfter`). */
function revertible(kind: FaultKind, p: Record<string, unknown>): string | null {
  switch (kind) {
    case 'pod-kill':
      return p.repeat !== undefined ? null : 'a pod kill cannot be reverted (the cluster replaces the pods); revertAfter only stops a repeat';
    case 'exec':
      return p.revertCommand !== undefined ? null : 'revertAfter needs a revertCommand';
    case 'manual':
      return 'a manual step has no automatic revert: add a second manual step';
    default:
      return null;
  }
}

export function normalizeActions(
  docs: readonly unknown[] | undefined,
  at: DocPath,
  ctx: {
    source: YamlSource; files: FileSet;
    /** `cluster.namespaces`: the namespaces faults may act in (without it, any but Kubernetes' own) */
    namespaces?: readonly string[];
    /** the embedded cluster's control plane (builtin when the plan says none), null on a kubeconfig cluster */
    controlPlane?: string | null;
  },
): ActionSpec[] {
  const out: ActionSpec[] = [];
  const names = new Set<string>();
  (docs ?? []).forEach((raw, i) => {
    const where = [...at, i];
    let entry = raw as Record<string, unknown>;
    let ref: string | null = null;
    if (entry.ref !== undefined) {
      const resolved = resolveChaosRef(ctx.files, entry, { source: ctx.source, path: where });
      if (!resolved) return;
      entry = resolved.action;
      ref = resolved.file;
    }
    const { at: atText, fault, name, description, revertAfter, ...params } = entry as {
      at: string | number; fault: FaultKind; name?: string; description?: string; revertAfter?: string;
    } & Record<string, unknown>;
    const findings = [...FAULT_CHECKS[fault].map((check) => check(params)), fault === 'control-plane' ? controlPlaneFinding(params, ctx.controlPlane) : null];
    for (const finding of findings) {
      if (finding) ctx.files.error(ctx.source, finding.key ? [...where, finding.key] : where, finding.message, finding.hint);
    }
    // the schema has validated the step: its params are its kind's (the one cast of a step's params)
    const typed = { kind: fault, params } as ActionSpec;
    // a step that names no namespace acts in the kubeconfig context's, known once the run opens its cluster (checkNamespaces)
    const ns = faultNamespace(typed, null);
    const refused = ns && refusedNamespace(ns.namespace, ctx.namespaces);
    if (ns && refused) {
      // from a chaos file (ref:) when the plan's entry does not set it
      const inEntry = (raw as Record<string, unknown>)[ns.key[0] as string] !== undefined;
      ctx.files.error(ctx.source, inEntry ? [...where, ...ns.key] : [...where, ref ? 'ref' : 'fault'], refused.message, refused.hint);
    }
    if (revertAfter !== undefined) {
      const why = revertible(fault, params);
      if (why) ctx.files.error(ctx.source, [...where, 'revertAfter'], why);
    }
    const stepName = name ?? `${fault}-${i + 1}`;
    if (names.has(stepName)) ctx.files.error(ctx.source, [...where, 'name'], `duplicate step name "${stepName}" in this case`);
    names.add(stepName);
    out.push({
      ...typed,
      name: stepName,
      description: description ?? null,
      atMs: parseDuration(atText),
      revertAfterMs: revertAfter === undefined ? null : parseDuration(revertAfter),
      ref,
      location: location(ctx.source, where),
    });
  });
  return out.sort((a, b) => a.atMs - b.atMs);
}

export function normalizeProbes(
  docs: readonly ProbeDoc[] | undefined,
  at: DocPath,
  ctx: { source: YamlSource; files: FileSet; targets: Record<string, Target> },
): ProbeSpec[] {
  return (docs ?? []).map((doc, i) => {
    const where = [...at, i];
    const { probe, name, description, timeout, waitFor, ...rest } = doc as ProbeDoc & Record<string, unknown>;
    const params: Record<string, unknown> = rest;
    if (probe === 'http') {
      const p = params as { target?: string; url?: string };
      if (!p.target && !p.url) ctx.files.error(ctx.source, where, 'an http probe needs a target or a url');
      if (p.target && p.url) ctx.files.error(ctx.source, [...where, 'url'], 'give either url or target (with path), not both');
      if (p.target && !Object.hasOwn(ctx.targets, p.target)) {
        const guess = closest(p.target, Object.keys(ctx.targets));
        ctx.files.error(ctx.source, [...where, 'target'], `unknown target "${p.target}"`, guess ? `did you mean "${guess}"?` : undefined);
      }
    }
    return {
      kind: probe,
      name: name ?? `${probe}-${i + 1}`,
      description: description ?? null,
      timeoutMs: timeout ? parseDuration(timeout) : DEFAULT_PROBE_TIMEOUT_MS,
      waitForMs: waitFor ? parseDuration(waitFor) : 0,
      params,
      location: location(ctx.source, where),
    };
  });
}
