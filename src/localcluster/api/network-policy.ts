/**
 * networking.k8s.io/v1 NetworkPolicy: defaults (`pkg/apis/networking/v1/defaults.go`) and validation
 * (`pkg/apis/networking/validation`), with the real field paths and wording.
 */
import { parseCidr } from '../../core/index.js';
import { labelSelectorFromSpec } from '../../kube/index.js';
import type { KObject, StatusCause } from './types.js';
import { forbidden, invalid, notSupported, required } from './object-validation.js';

type Obj = Record<string, any>;
const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((e) => asObj(e) ?? {}) : []);

/** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: TCP ports, and the policyTypes the rules imply. */
export function defaultNetworkPolicy(np: KObject): void {
  const spec: Obj = (np.spec ??= {});
  for (const rule of [...list(spec.ingress), ...list(spec.egress)]) {
    for (const port of list(rule.ports)) port.protocol ||= 'TCP';
  }
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = list(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function selectorCauses(sel: unknown, field: string): StatusCause[] {
  try {
    labelSelectorFromSpec(sel as never);
    return [];
  } catch (err) {
    return [invalid(field, sel === undefined ? null : JSON.stringify(sel), (err as Error).message)];
  }
}

const IANA_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function portCauses(port: Obj, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!['TCP', 'UDP', 'SCTP'].includes(port.protocol)) causes.push(notSupported(`${field}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
  const p = port.port;
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 1 || p > 65535) causes.push(invalid(`${field}.port`, p, 'must be between 1 and 65535, inclusive'));
  } else if (typeof p === 'string') {
    if (p.length > 15 || !IANA_NAME.test(p) || p.includes('--')) causes.push(invalid(`${field}.port`, p, 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'));
    if (port.endPort !== undefined && port.endPort !== null) causes.push(forbidden(`${field}.endPort`, 'may not be specified when `port` is non-numeric'));
  } else if (port.endPort !== undefined && port.endPort !== null) {
    causes.push(required(`${field}.port`, 'must be specified when `endPort` is specified'));
  }
  if (typeof p === 'number' && typeof port.endPort === 'number' && port.endPort < p) {
    causes.push(invalid(`${field}.endPort`, port.endPort, 'must be greater than or equal to `port`'));
  }
  return causes;
}

function ipBlockCauses(block: Obj, field: string): StatusCause[] {
  if (!block.cidr) return [required(`${field}.cidr`)];
  const cidr = parseCidr(String(block.cidr));
  if (!cidr) return [invalid(`${field}.cidr`, block.cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  return (Array.isArray(block.except) ? block.except : []).flatMap((e: unknown, i: number): StatusCause[] => {
    const r = parseCidr(String(e));
    if (!r) return [invalid(`${field}.except[${i}]`, e, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
    return r.lo >= cidr.lo && r.hi <= cidr.hi && (r.lo !== cidr.lo || r.hi !== cidr.hi) ? [] : [invalid(`${field}.except[${i}]`, e, 'must be a strict subset of `cidr`')];
  });
}

function peerCauses(peer: Obj, field: string): StatusCause[] {
  const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined && peer[k] !== null);
  if (set.length === 0) return [required(field, 'must specify a peer')];
  if (peer.ipBlock && set.length > 1) return [forbidden(field, 'may not specify more than 1 peer')];
  if (peer.ipBlock) return ipBlockCauses(asObj(peer.ipBlock) ?? {}, `${field}.ipBlock`);
  return [...(peer.podSelector ? selectorCauses(peer.podSelector, `${field}.podSelector`) : []),
    ...(peer.namespaceSelector ? selectorCauses(peer.namespaceSelector, `${field}.namespaceSelector`) : [])];
}

function ruleCauses(rules: unknown, field: string, peersKey: 'from' | 'to'): StatusCause[] {
  return list(rules).flatMap((rule, i) => [
    ...list(rule.ports).flatMap((p, j) => portCauses(p, `${field}[${i}].ports[${j}]`)),
    ...list(rule[peersKey]).flatMap((p, j) => peerCauses(p, `${field}[${i}].${peersKey}[${j}]`)),
  ]);
}

/** ValidateNetworkPolicySpec. */
export function validateNetworkPolicy(np: KObject): StatusCause[] {
  const spec = asObj(np.spec) ?? {};
  const causes = [...selectorCauses(spec.podSelector ?? {}, 'spec.podSelector'),
    ...ruleCauses(spec.ingress, 'spec.ingress', 'from'), ...ruleCauses(spec.egress, 'spec.egress', 'to')];
  const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') causes.push(notSupported(`spec.policyTypes[${i}]`, t, ['Egress', 'Ingress']));
  });
  if (types.length > 2 || new Set(types).size !== types.length) causes.push(invalid('spec.policyTypes', types.join(','), 'may not have more than 2 elements, nor duplicates'));
  return causes;
}
