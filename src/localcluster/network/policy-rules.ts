/**
 * One NetworkPolicy compiled for evaluation: selectors parsed once, CIDRs as integer ranges, so that
 * deciding a connection is a few comparisons. Semantics are those of networking.k8s.io/v1.
 */
import { labelSelectorFromSpec, matchesLabels, type LabelSelector } from '../../kube/index.js';
import type { KObject } from '../api/index.js';
import { parseCidr, type Range } from '../../core/index.js';

/** What evaluation knows of a pod: enough to match selectors and resolve named ports. */
export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  /** the IP of the node the pod runs on, whose own traffic to it (the kubelet's probes) is always allowed */
  readonly hostIP?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** named container ports → `port/protocol` */
  readonly namedPorts: ReadonlyMap<string, { port: number; protocol: string }>;
}

/** The far side of a connection as a rule sees it: a pod, or only an address (outside the cluster). */
export interface Peer {
  readonly ip: string;
  /** `ip` as parseIPv4 gives it, parsed once per connection */
  readonly ipNumber: number | null;
  readonly pod: PodView | undefined;
}

export interface IPBlock { readonly cidr: Range; readonly except: readonly Range[] }
/** One `from`/`to` entry: an ipBlock, or pod and/or namespace selectors. */
export interface PeerRule { readonly pods?: LabelSelector; readonly namespaces?: LabelSelector; readonly block?: IPBlock }
/** One `ports` entry: a number, a range (`endPort`), a container port name, or every port of the protocol. */
export interface PortRule { readonly protocol: string; readonly port?: number | string; readonly endPort?: number }
/** One ingress or egress rule; null peers or ports: every peer, every port. */
export interface Rule { readonly peers: readonly PeerRule[] | null; readonly ports: readonly PortRule[] | null }

export interface CompiledPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly ingress: readonly Rule[] | null;
  readonly egress: readonly Rule[] | null;
}

/** The labels a namespace is matched on (`kubernetes.io/metadata.name` included), by namespace name. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

const optionalSelector = (spec: unknown): LabelSelector | undefined => (spec === undefined || spec === null ? undefined : labelSelectorFromSpec(spec));

function compilePeer(raw: any): PeerRule {
  if (raw?.ipBlock) {
    const cidr = parseCidr(String(raw.ipBlock.cidr ?? ''));
    // an invalid object never passes validation; if one were stored anyway, it matches nothing
    const block = cidr ? { cidr, except: (raw.ipBlock.except ?? []).map((e: string) => parseCidr(e)).filter((r: Range | null): r is Range => r !== null) } : { cidr: { lo: 1, hi: 0 }, except: [] };
    return { block };
  }
  const pods = optionalSelector(raw?.podSelector);
  const namespaces = optionalSelector(raw?.namespaceSelector);
  return { ...(pods ? { pods } : {}), ...(namespaces ? { namespaces } : {}) };
}

function compileRules(rules: unknown, peersKey: 'from' | 'to'): Rule[] {
  return (Array.isArray(rules) ? rules : []).map((r: any): Rule => ({
    peers: Array.isArray(r?.[peersKey]) && r[peersKey].length > 0 ? r[peersKey].map(compilePeer) : null,
    ports: Array.isArray(r?.ports) && r.ports.length > 0
      ? r.ports.map((p: any): PortRule => ({ protocol: p?.protocol ?? 'TCP', ...(p?.port !== undefined && p?.port !== null ? { port: p.port } : {}), ...(p?.endPort ? { endPort: p.endPort } : {}) }))
      : null,
  }));
}

/** policyTypes as the API defaults them: Ingress always, Egress when egress rules exist. */
function policyTypes(spec: any): Set<string> {
  if (Array.isArray(spec?.policyTypes) && spec.policyTypes.length > 0) return new Set(spec.policyTypes);
  return new Set(Array.isArray(spec?.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
}

export function compilePolicy(np: KObject): CompiledPolicy {
  const spec = np.spec ?? {};
  const types = policyTypes(spec);
  return {
    namespace: np.metadata.namespace ?? 'default', name: np.metadata.name ?? '',
    podSelector: labelSelectorFromSpec(spec.podSelector ?? {}),
    ingress: types.has('Ingress') ? compileRules(spec.ingress, 'from') : null,
    egress: types.has('Egress') ? compileRules(spec.egress, 'to') : null,
  };
}

export function selects(policy: CompiledPolicy, pod: PodView): boolean {
  return policy.namespace === pod.namespace && matchesLabels(policy.podSelector, pod.labels);
}

function inBlock(block: IPBlock, n: number | null): boolean {
  if (n === null || n < block.cidr.lo || n > block.cidr.hi) return false;
  return !block.except.some((r) => n >= r.lo && n <= r.hi);
}

/** A peer entry against the far side; `home` is the policy's namespace, where a bare podSelector looks. */
export function peerMatches(rule: PeerRule, peer: Peer, home: string, nsLabels: NamespaceLabels): boolean {
  if (rule.block) return inBlock(rule.block, peer.ipNumber);
  const pod = peer.pod;
  if (!pod) return false;
  if (rule.namespaces) {
    // the API server labels every namespace with its name; a namespace not seen yet still has that one
    const labels = nsLabels(pod.namespace) ?? { 'kubernetes.io/metadata.name': pod.namespace };
    if (!matchesLabels(rule.namespaces, labels)) return false;
  } else if (pod.namespace !== home) {
    return false;
  }
  return !rule.pods || matchesLabels(rule.pods, pod.labels);
}

/** The port number a named port entry means on `dst` (undefined: the pod has no such port, or the entry is a number). */
export function namedPort(rule: PortRule, dst: PodView | undefined): number | undefined {
  if (typeof rule.port !== 'string' || /^\d+$/.test(rule.port)) return undefined;
  const named = dst?.namedPorts.get(rule.port);
  return named !== undefined && named.protocol === rule.protocol ? named.port : undefined;
}

/** Whether a port entry names a container port (resolved against the destination pod) rather than a number. */
export function isNamedPort(rule: PortRule): boolean {
  return typeof rule.port === 'string' && !/^\d+$/.test(rule.port);
}

/** A port entry against the destination port; named ports resolve against the destination pod. */
function portMatches(rule: PortRule, port: number, protocol: string, dst: PodView | undefined): boolean {
  if (rule.protocol !== protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === 'string' && !/^\d+$/.test(rule.port)) {
    const named = dst?.namedPorts.get(rule.port);
    return named !== undefined && named.port === port && named.protocol === protocol;
  }
  const first = Number(rule.port);
  return rule.endPort ? port >= first && port <= rule.endPort : port === first;
}

/** Whether any of `rules` admits traffic between the policy's pod and `peer` on `port/protocol` of `dst`. */
export function rulesAllow(
  policy: CompiledPolicy, rules: readonly Rule[], peer: Peer, dst: { pod: PodView | undefined; port: number; protocol: string }, nsLabels: NamespaceLabels,
): boolean {
  return rules.some((r) =>
    (r.peers === null || r.peers.some((p) => peerMatches(p, peer, policy.namespace, nsLabels)))
    && (r.ports === null || r.ports.some((p) => portMatches(p, dst.port, dst.protocol, dst.pod))));
}
