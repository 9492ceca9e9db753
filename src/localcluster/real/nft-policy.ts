import { formatIPv4, parseIPv4, type Range } from '../../core/index.js';
import {
  isNamedPort, namedPort, peerMatches,
  type CniProfile, type CompiledPolicy, type NetworkPolicyEngine, type PodView, type PortRule, type Rule,
} from '../network/index.js';

/** The nftables table crt owns in each node namespace (never in the root namespace). */
export const NFT_TABLE = 'crt';

/** A pod process group on this node: its address, and the cgroup its processes run in. */
export interface LocalPod {
  readonly ip: string;
  /** the packet mark of the pod's sockets (a small positive integer, unique on the node) */
  readonly mark: number;
  /** its cgroup v2 path as nftables names it: relative to /sys/fs/cgroup */
  readonly cgroup: string;
  /** the depth of that cgroup in the cgroup v2 hierarchy */
  readonly cgroupLevel: number;
}

/** What the ruleset of one node is computed from. */
export interface NodeRulesInput {
  /** the node's own address: its traffic to its pods (the kubelet's probes) is always allowed, as CNIs do */
  readonly nodeIP: string;
  readonly cni: CniProfile;
  readonly pods: readonly LocalPod[];
  readonly policies: Pick<NetworkPolicyEngine, 'podAt' | 'pods' | 'isolating' | 'namespaceLabels'>;
}

/*
 * Every flow is named by its conntrack reply tuple, which is right for every packet of it in both
 * directions, at every hook used here: the client is `ct reply ip daddr` (after the client node's
 * SNAT to the pod IP), the server `ct reply ip saddr` (after a DNAT), the server port `ct reply proto-src`.
 */
const CLIENT = 'ct reply ip daddr';
const SERVER = 'ct reply ip saddr';
const SERVER_PORT = 'ct reply proto-src';

/**
 * The nftables script (for `nft -f -`) of one node namespace: replaces table `ip crt` atomically with
 *  - `pod_mark` + `pod_snat`: the pods of a node share its network namespace, so each pod's processes run
 *    in a cgroup of their own, and their new connections leave with the pod's IP as source (SNAT), as
 *    they would from a namespace of their own: peers and policies see which pod dials;
 *  - `policy_*`: the NetworkPolicies isolating the node's pods, ingress checked where packets reach a pod,
 *    egress where they leave one (postrouting, after the SNAT). New connections a policy denies are
 *    dropped (the client times out, as on a real CNI); what happens to established ones is the `cni`
 *    profile: `keep` accepts them by conntrack before any policy, `drop` checks every packet and drops
 *    those of denied flows, `reset` answers them with a TCP reset.
 */
export function nodeRuleset(input: NodeRulesInput): string {
  const { cni, pods } = input;
  const chains: string[] = [];
  const ingress: string[] = [];
  const egress: string[] = [];
  for (const local of pods) {
    const pod = input.policies.podAt(local.ip);
    if (!pod) continue;
    const isolating = input.policies.isolating(pod);
    if (isolating.ingress.length > 0) {
      ingress.push(`${local.ip} : jump in_${local.mark}`);
      chains.push(chain(`in_${local.mark}`, [`${CLIENT} ${input.nodeIP} return`, ...ingressRules(input, pod, isolating.ingress), ...deny(cni)]));
    }
    if (isolating.egress.length > 0) {
      const allowed = egressRules(input, isolating.egress);
      egress.push(`${local.ip} : jump eg_${local.mark}`);
      chains.push(chain(`egn_${local.mark}`, [...allowed, 'drop']));
      if (cni !== 'keep') chains.push(chain(`eg_${local.mark}`, [...allowed, ...deny(cni)]));
    }
  }
  const vmap = (field: string, entries: string[], rename?: (e: string) => string): string[] =>
    entries.length === 0 ? [] : [`${field} vmap { ${(rename ? entries.map(rename) : entries).join(', ')} }`];
  const rst = cni === 'reset' ? ['meta l4proto tcp tcp flags & rst == rst accept'] : [];
  const base = [
    chain('pod_mark', pods.map((p) => `socket cgroupv2 level ${p.cgroupLevel} ${quote(p.cgroup)} meta mark set ${p.mark}`), 'type route hook output priority mangle; policy accept;'),
    chain('pod_snat', pods.map((p) => `meta mark ${p.mark} ip saddr != ${p.ip} snat to ${p.ip}`), 'type nat hook postrouting priority srcnat; policy accept;'),
    chain('policy_in', [
      ...(cni === 'keep' ? ['ct state established,related accept'] : rst),
      ...vmap(SERVER, ingress),
      ...(cni === 'keep' ? [] : vmap(`ct state != new ${CLIENT}`, egress)),
    ], 'type filter hook input priority filter; policy accept;'),
    // after pod_snat (srcnat = 100): the client of a new connection is the pod's own IP by then
    chain('policy_new_out', vmap(`ct state new ${CLIENT}`, egress, (e) => e.replace('jump eg_', 'jump egn_')), 'type filter hook postrouting priority 110; policy accept;'),
    ...(cni === 'keep' ? [] : [chain('policy_out', ['ct state new accept', ...rst, ...vmap(SERVER, ingress), ...vmap(CLIENT, egress)], 'type filter hook output priority filter; policy accept;')]),
  ];
  return [`table ip ${NFT_TABLE}`, `delete table ip ${NFT_TABLE}`, `table ip ${NFT_TABLE} {`, ...base, ...chains, '}', ''].join('\n');
}

function chain(name: string, rules: string[], head?: string): string {
  return [`  chain ${name} {`, ...(head ? [`    ${head}`] : []), ...rules.map((r) => `    ${r}`), '  }'].join('\n');
}

function quote(text: string): string {
  if (/["\\\n]/.test(text)) throw new Error(`cgroup path ${JSON.stringify(text)} cannot be quoted for nftables`);
  return `"${text}"`;
}

/** What a flow no rule admitted gets: new connections are dropped in every profile. */
function deny(cni: CniProfile): string[] {
  return cni === 'reset' ? ['ct state new drop', 'meta l4proto tcp reject with tcp reset', 'drop'] : ['drop'];
}

function range(r: Range): string {
  return r.lo === r.hi ? formatIPv4(r.lo) : `${formatIPv4(r.lo)}-${formatIPv4(r.hi)}`;
}

function protocolOf(p: PortRule): string {
  return p.protocol.toLowerCase();
}

/** `ports` entries as nft matches on the server port (`[""]`: every port of every protocol). */
function portMatches(ports: readonly PortRule[] | null, dst: PodView | undefined): string[] {
  if (ports === null) return [''];
  const out: string[] = [];
  for (const p of ports) {
    const proto = `meta l4proto ${protocolOf(p)}`;
    if (p.port === undefined) out.push(proto);
    else if (isNamedPort(p)) {
      const n = namedPort(p, dst);
      // a name the pod does not have matches nothing
      if (n !== undefined) out.push(`${proto} ${SERVER_PORT} ${n}`);
    } else out.push(`${proto} ${SERVER_PORT} ${p.endPort ? `${Number(p.port)}-${p.endPort}` : Number(p.port)}`);
  }
  return out;
}

/** `from`/`to` entries as nft matches on `field` (`[""]`: every peer), pods selected among those indexed now. */
function peerMatchesOf(input: NodeRulesInput, policy: CompiledPolicy, rule: Rule, field: string): string[] {
  if (rule.peers === null) return [''];
  const out: string[] = [];
  const ips = new Set<string>();
  for (const peer of rule.peers) {
    if (peer.block) {
      const except = peer.block.except.map(range);
      out.push(`${field} ${range(peer.block.cidr)}${except.length ? ` ${field} != { ${except.join(', ')} }` : ''}`);
      continue;
    }
    for (const pod of input.policies.pods()) {
      if (peerMatches(peer, { ip: pod.ip, ipNumber: parseIPv4(pod.ip), pod }, policy.namespace, input.policies.namespaceLabels)) ips.add(pod.ip);
    }
  }
  if (ips.size > 0) out.push(`${field} { ${[...ips].sort().join(', ')} }`);
  return out;
}

function product(peers: string[], ports: string[]): string[] {
  return peers.flatMap((a) => ports.map((b) => `${[a, b].filter(Boolean).join(' ')} return`.trim()));
}

function ingressRules(input: NodeRulesInput, pod: PodView, policies: readonly CompiledPolicy[]): string[] {
  return policies.flatMap((policy) => policy.ingress!.flatMap((rule) => product(peerMatchesOf(input, policy, rule, CLIENT), portMatches(rule.ports, pod))));
}

/** Egress rules; a named port is the destination pod's, so it becomes one match per pod that has it. */
function egressRules(input: NodeRulesInput, policies: readonly CompiledPolicy[]): string[] {
  return policies.flatMap((policy) => policy.egress!.flatMap((rule) => {
    const numbered = rule.ports === null ? null : rule.ports.filter((p) => !isNamedPort(p));
    const named = rule.ports === null ? [] : rule.ports.filter(isNamedPort);
    const out = numbered === null || numbered.length > 0 ? product(peerMatchesOf(input, policy, rule, SERVER), portMatches(numbered, undefined)) : [];
    for (const p of named) {
      for (const pod of input.policies.pods()) {
        const port = namedPort(p, pod);
        if (port === undefined) continue;
        const peer = { ip: pod.ip, ipNumber: parseIPv4(pod.ip), pod };
        if (rule.peers !== null && !rule.peers.some((r) => peerMatches(r, peer, policy.namespace, input.policies.namespaceLabels))) continue;
        out.push(`${SERVER} ${pod.ip} meta l4proto ${protocolOf(p)} ${SERVER_PORT} ${port} return`);
      }
    }
    return out;
  }));
}
