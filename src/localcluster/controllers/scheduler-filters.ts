import type { KObject } from '../api/index.js';
import { selectorMatches } from './objects.js';
import { resourcesFit } from './scheduler-fit.js';

/** kube-scheduler's filter plugins the embedded cluster needs, in the default profile's order. */

/** Why a node does not fit, worded as the plugin words it; `resolvable` when preemption could help. */
export interface FitFailure {
  reason: string;
  resolvable: boolean;
}

/** What the filters and scores read besides the pod and the node. */
export interface ClusterView {
  nodes: KObject[];
  /** Non-terminal pods bound to each node. */
  podsByNode: Map<string, KObject[]>;
  /** Namespace labels, for affinity terms with a namespaceSelector. */
  namespaceLabels: Map<string, Record<string, string>>;
}

interface Taint { key: string; value?: string; effect: string }

/** The node's taints, plus the ones the node lifecycle controller would add for a node that is not Ready. */
export function effectiveTaints(node: KObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = (node.status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready')?.status;
  const key = ready === 'False' ? 'node.kubernetes.io/not-ready' : ready === 'True' ? undefined : 'node.kubernetes.io/unreachable';
  if (key && !taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  return taints;
}

/** v1.Toleration.ToleratesTaint. */
export function tolerates(toleration: any, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  if (toleration.operator === undefined || toleration.operator === '' || toleration.operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return false;
}

const tolerated = (pod: KObject, taint: Taint): boolean => (pod.spec?.tolerations ?? []).some((t: any) => tolerates(t, taint));

function nodeUnschedulable(pod: KObject, node: KObject): FitFailure | undefined {
  if (!node.spec?.unschedulable) return undefined;
  if (tolerated(pod, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return undefined;
  return { reason: 'node(s) were unschedulable', resolvable: false };
}

function taintToleration(pod: KObject, node: KObject): FitFailure | undefined {
  const taint = effectiveTaints(node).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(pod, t));
  if (!taint) return undefined;
  return { reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`, resolvable: false };
}

/** One NodeSelectorRequirement against the node's labels (or its name, for matchFields). */
function requirementMatches(req: any, value: string | undefined): boolean {
  const values: string[] = req.values ?? [];
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1) return false;
      return req.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default: return false;
  }
}

/** A NodeSelectorTerm: every expression and field holds; an empty term matches nothing. */
export function nodeTermMatches(term: any, node: KObject): boolean {
  const exprs: any[] = term?.matchExpressions ?? [];
  const fields: any[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((r) => requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined))
    && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name));
}

function nodeAffinity(pod: KObject, node: KObject): FitFailure | undefined {
  const failure = { reason: "node(s) didn't match Pod's node affinity/selector", resolvable: false };
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries<string>(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return failure;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !(required.nodeSelectorTerms ?? []).some((t: any) => nodeTermMatches(t, node))) return failure;
  return undefined;
}

/** The node's value for a topology key (`kubernetes.io/hostname` falls back to the node name). */
function topologyValue(node: KObject | undefined, key: string): string | undefined {
  const v = node?.metadata.labels?.[key];
  if (v !== undefined) return v;
  return key === 'kubernetes.io/hostname' ? node?.metadata.name : undefined;
}

/** The namespaces a PodAffinityTerm looks in: its list, its selector, or the pod's own namespace. */
function termNamespaces(term: any, pod: KObject, view: ClusterView): (ns: string) => boolean {
  const listed: string[] = term.namespaces ?? [];
  if (term.namespaceSelector) {
    return (ns) => listed.includes(ns) || selectorMatches(term.namespaceSelector, view.namespaceLabels.get(ns) ?? {});
  }
  if (listed.length > 0) return (ns) => listed.includes(ns);
  return (ns) => ns === pod.metadata.namespace;
}

/** Non-terminating pods other than `pod`, in the same topology domain as `node`, that the term selects. */
export function podsMatchingTerm(term: any, pod: KObject, node: KObject, view: ClusterView): KObject[] {
  const domain = topologyValue(node, term.topologyKey);
  if (domain === undefined) return [];
  const inNamespace = termNamespaces(term, pod, view);
  return view.nodes.filter((n) => topologyValue(n, term.topologyKey) === domain)
    .flatMap((n) => view.podsByNode.get(n.metadata.name!) ?? [])
    .filter((p) => p.metadata.uid !== pod.metadata.uid && !p.metadata.deletionTimestamp
      && inNamespace(p.metadata.namespace!) && selectorMatches(term.labelSelector, p.metadata.labels));
}

function interPodAffinity(pod: KObject, node: KObject, view: ClusterView): FitFailure | undefined {
  const anti: any[] = pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  if (anti.some((term) => podsMatchingTerm(term, pod, node, view).length > 0)) {
    return { reason: "node(s) didn't match pod anti-affinity rules", resolvable: true };
  }
  if (existingPodsForbid(pod, node, view)) return { reason: "node(s) didn't satisfy existing pods anti-affinity rules", resolvable: true };
  const affinity: any[] = pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  for (const term of affinity) {
    if (podsMatchingTerm(term, pod, node, view).length > 0) continue;
    // The first pod of a group that selects itself may go anywhere its term's domain exists.
    const anywhere = view.nodes.some((n) => podsMatchingTerm(term, pod, n, view).length > 0);
    const selfMatch = selectorMatches(term.labelSelector, pod.metadata.labels) && topologyValue(node, term.topologyKey) !== undefined;
    if (anywhere || !selfMatch) return { reason: "node(s) didn't match pod affinity rules", resolvable: false };
  }
  return undefined;
}

/** Symmetry: a pod already in the node's domain whose required anti-affinity selects the incoming pod. */
function existingPodsForbid(pod: KObject, node: KObject, view: ClusterView): boolean {
  for (const other of view.nodes) {
    for (const existing of view.podsByNode.get(other.metadata.name!) ?? []) {
      if (existing.metadata.deletionTimestamp) continue;
      const terms: any[] = existing.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      const forbids = terms.some((term) => {
        const domain = topologyValue(other, term.topologyKey);
        return domain !== undefined && domain === topologyValue(node, term.topologyKey)
          && termNamespaces(term, existing, view)(pod.metadata.namespace!) && selectorMatches(term.labelSelector, pod.metadata.labels);
      });
      if (forbids) return true;
    }
  }
  return false;
}

/** Runs the filters in the default profile's order; the first failure is the node's reason. */
export function filterNode(pod: KObject, node: KObject, view: ClusterView): FitFailure | undefined {
  return nodeUnschedulable(pod, node) ?? taintToleration(pod, node) ?? nodeAffinity(pod, node) ?? resourcesFit(pod, node, view) ?? interPodAffinity(pod, node, view);
}

/** framework.FitError's message plus the default preemption plugin's, as `kubectl describe pod` shows them. */
export function fitErrorMessage(nodeCount: number, failures: FitFailure[]): string {
  const histogram = (labels: string[]): string => {
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    return [...counts].map(([l, n]) => `${n} ${l}`).sort().join(', ');
  };
  const reasons = histogram(failures.map((f) => f.reason));
  const preemption = histogram(failures.map((f) => (f.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling')));
  return `0/${nodeCount} nodes are available: ${reasons}. preemption: 0/${nodeCount} nodes are available: ${preemption}.`;
}
