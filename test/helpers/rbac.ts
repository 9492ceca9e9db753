import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { RequestAttributes } from '../../src/localcluster/index.js';

/**
 * RBAC evaluation as the Kubernetes authorizer does it (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go
 * and the RBAC authorizer's binding scopes), for comparing deploy/k8s/rbac.yaml with the requests crt makes.
 * Hand-written: no npm package evaluates RBAC rules, and the real one needs a real API server.
 */

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** A rule as it reaches a subject through one binding: everywhere (ClusterRoleBinding) or in one namespace (RoleBinding). */
export interface Grant {
  /** `ClusterRole crt-node-faults rules[1]`, with the binding: for messages */
  where: string;
  rule: PolicyRule;
  /** null: cluster-wide; else the RoleBinding's namespace, the only one whose requests it allows */
  namespace: string | null;
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** Every document of YAML files, with the file it came from. */
export function readObjects(files: string[]): Array<K8sObject & { file: string }> {
  return files.flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null)
    .map((o) => ({ ...o, file })));
}

/** The grants of a ServiceAccount: each rule of each role bound to it, scoped by its binding. */
export function grantsOf(objects: K8sObject[], sa: { namespace: string; name: string }): Grant[] {
  const roles = new Map(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
  const grants: Grant[] = [];
  for (const b of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    if (!b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace)) continue;
    const ref = b.roleRef!;
    // a RoleBinding may name a ClusterRole (granted in its namespace only) or a Role of its own namespace
    const role = roles.get(ref.kind === 'ClusterRole' ? `ClusterRole//${ref.name}` : `Role/${b.metadata.namespace ?? ''}/${ref.name}`);
    if (!role) throw new Error(`${b.kind} ${b.metadata.name} refers to ${ref.kind} ${ref.name}, which is not defined`);
    const namespace = b.kind === 'ClusterRoleBinding' ? null : b.metadata.namespace ?? 'default';
    (role.rules ?? []).forEach((rule, i) => grants.push({ where: `${ref.kind} ${ref.name} rules[${i}] via ${b.kind} ${namespace ? `${namespace}/` : ''}${b.metadata.name}`, rule, namespace }));
  }
  return grants;
}

/**
 * What every authenticated identity may do on a stock cluster: the bootstrap roles system:discovery and
 * system:public-info-viewer, bound to system:authenticated (plugin/pkg/auth/authorizer/rbac/bootstrappolicy).
 */
export const BOOTSTRAP_GRANTS: readonly Grant[] = [{
  where: 'ClusterRole system:discovery (bootstrap, bound to system:authenticated)',
  namespace: null,
  rule: { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/', '/openapi', '/openapi/*'] },
}];

const has = (list: string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);

function resourceMatches(rule: PolicyRule, a: RequestAttributes): boolean {
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`));
}

/** Whether one rule allows a request, ignoring the binding's scope (RuleAllows). */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.apiGroup) || !resourceMatches(rule, a)) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
}

/** Whether a grant allows a request: its rule, within its binding's namespace (cluster-scoped requests need a ClusterRoleBinding). */
export function grantAllows(g: Grant, a: RequestAttributes): boolean {
  if (g.namespace !== null && (!a.resourceRequest || a.namespace !== g.namespace)) return false;
  return ruleAllows(g.rule, a);
}

/** `list pods in demo`, `create pods/eviction in demo`, `patch nodes`, `get /apis/apps/v1`, as people say it. */
export function describeRequest(a: RequestAttributes): string {
  if (!a.resourceRequest) return `${a.verb} ${a.path}`;
  const resource = `${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}${a.apiGroup ? `.${a.apiGroup}` : ''}`;
  return `${a.verb} ${resource} ${a.namespace ? `in ${a.namespace}` : '(cluster-wide)'}`;
}

/**
 * The single permissions a grant gives: one per verb × API group × resource of its rule, so that "is each
 * permission used" is asked of each, not of the rule as a whole.
 */
export function permissions(g: Grant): Array<{ grant: Grant; verb: string; apiGroup: string; resource: string; text: string }> {
  const out: Array<{ grant: Grant; verb: string; apiGroup: string; resource: string; text: string }> = [];
  for (const verb of g.rule.verbs) {
    for (const apiGroup of g.rule.apiGroups ?? ['']) {
      for (const resource of g.rule.resources ?? []) {
        out.push({ grant: g, verb, apiGroup, resource, text: `${verb} ${resource}${apiGroup ? `.${apiGroup}` : ''} (${g.where})` });
      }
    }
  }
  return out;
}

/** Whether a request exercises one permission of a grant (that verb, that group, that resource entry). */
export function usesPermission(p: ReturnType<typeof permissions>[number], a: RequestAttributes): boolean {
  const narrowed: Grant = { ...p.grant, rule: { ...p.grant.rule, verbs: [p.verb], apiGroups: [p.apiGroup], resources: [p.resource] } };
  return grantAllows(narrowed, a);
}
