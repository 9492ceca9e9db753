import { randomBytes } from 'node:crypto';
import { NetworkingV1Api, type V1LabelSelector, type V1NetworkPolicy, type V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { RUN_ID_LABEL, exceedsMaxPercent, isLivePod, labelSelectorObject, labelValue, negatedSelectors } from '../kube/index.js';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { ChangedSinceFault, FaultError, type FaultContext, type FaultDefinition, type RevertOptions, type RevertRecord } from './fault.js';
import { stepNamespace, apiFailure, apiStatus, kubeCall, requireKube } from './kube-common.js';

export const STEP_LABEL = 'crt.io/step';
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';


/** The step's parameters, as the schema types them. */
type CutParams = FaultParams['network-cut'];

export interface NetworkCutRevert extends RevertRecord {
  fault: 'network-cut';
  namespace: string;
  policies: string[];
  /** the policies as crt created them (recorded after each create): the revert deletes only these */
  set?: { policies: PolicyVersion[] };
}

/** A policy as crt created it: another object of the same name (uid) or an edit (resourceVersion) is someone else's. */
interface PolicyVersion {
  name: string;
  uid: string;
  resourceVersion: string;
}

/** What a cut tells the runner after it is in place: whether to verify it, and to reconnect the load. */
export interface NetworkCutData extends Record<string, unknown> {
  namespace: string;
  policies: string[];
  pods: string[];
  verify: boolean;
  forceReconnect: boolean;
}

/**
 * `network-cut`: NetworkPolicies that isolate the selected pods (`selector`, ingress and/or egress:
 * a policy without rules denies everything in its directions), or that cut the traffic from the
 * `from` pods to the `to` pods (ingress: a policy on `to` admitting everyone but `from`; egress: a
 * policy on `from` reaching everywhere but `to`, and DNS). NetworkPolicies only ever allow, so
 * "everyone but" is written as the negated selectors plus every other namespace; sources outside the
 * cluster are not admitted by such a policy (an ipBlock would match pod IPs on some CNIs and undo the
 * cut). The policies carry `crt.io/run-id`; the revert deletes them. Whether the cut had an effect is
 * judged by the runner from what the load saw (`verify`).
 */
export const networkCutFault: FaultDefinition<'network-cut'> = {
  namespaceRule: 'namespace',
  create(action: ActionOf<'network-cut'>) {
    const p = action.params;
    return {
      async plan(ctx: FaultContext) {
        const namespace = stepNamespace(ctx, p.namespace);
        const kube = requireKube(ctx, 'network-cut');
        const policies = buildPolicies(p, namespace, ctx);
        const pods = await affectedPods(ctx, namespace, p);
        const names = policies.map((np) => np.metadata!.name!);
        const revert: NetworkCutRevert = { fault: 'network-cut', namespace, policies: names };
        const api = kube.kc.makeApiClient(NetworkingV1Api);
        return {
          summary: `${describeCut(p, namespace)}: NetworkPolic${names.length === 1 ? 'y' : 'ies'} ${names.join(', ')}`,
          targets: [...names.map((n) => `networkpolicy/${namespace}/${n}`), ...pods.map((n) => `pod/${namespace}/${n}`)],
          revert,
          async apply(hooks) {
            const made: PolicyVersion[] = [];
            for (const body of policies) {
              const np = await kubeCall(`create NetworkPolicy ${body.metadata!.name} in ${namespace}`, () => api.createNamespacedNetworkPolicy({ namespace, body }));
              made.push({ name: body.metadata!.name!, uid: np.metadata?.uid ?? '', resourceVersion: np.metadata?.resourceVersion ?? '' });
              await hooks?.changed({ policies: [...made] });
            }
            const data: NetworkCutData = { namespace, policies: names, pods, verify: p.verify ?? true, forceReconnect: p.forceReconnect ?? false };
            return { detail: `${pods.length} pod(s) affected`, data };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext, opts: RevertOptions = {}) {
    const r = record as NetworkCutRevert;
    const api = requireKube(ctx, 'network-cut revert').kc.makeApiClient(NetworkingV1Api);
    const made = new Map((r.set?.policies ?? []).map((v) => [v.name, v]));
    if (!opts.force) await refuseChanged(api, r, made);
    const gone: string[] = [];
    for (const name of r.policies) {
      const v = made.get(name);
      // preconditions: a policy edited or recreated between the check and the delete is not deleted (409)
      const body = v && !opts.force ? { preconditions: { uid: v.uid, resourceVersion: v.resourceVersion } } : undefined;
      try {
        await api.deleteNamespacedNetworkPolicy({ name, namespace: r.namespace, body });
      } catch (err) {
        if (apiStatus(err) === 409 && v) throw new ChangedSinceFault(`networkpolicy/${r.namespace}/${name}`, describeVersion(v), 'changed while crt was reverting');
        if (apiStatus(err) !== 404) throw new FaultError(`delete NetworkPolicy ${name} in ${r.namespace}: ${apiFailure(err)}`);
        gone.push(name);
      }
    }
    const what = `NetworkPolic${r.policies.length === 1 ? 'y' : 'ies'} ${r.policies.join(', ')} in ${r.namespace}`;
    if (gone.length === r.policies.length) return `${what} already gone: nothing to undo`;
    return `deleted ${what}${gone.length ? ` (${gone.join(', ')} already gone)` : ''}`;
  },
};

/** Throws ChangedSinceFault when a policy crt made was edited or replaced since; a deleted one is fine (nothing to undo). */
async function refuseChanged(api: NetworkingV1Api, r: NetworkCutRevert, made: Map<string, PolicyVersion>): Promise<void> {
  const changed: Array<{ v: PolicyVersion; now: string }> = [];
  for (const v of made.values()) {
    let now: V1NetworkPolicy;
    try {
      now = await api.readNamespacedNetworkPolicy({ name: v.name, namespace: r.namespace });
    } catch (err) {
      if (apiStatus(err) === 404) continue;
      throw new FaultError(`read NetworkPolicy ${v.name} in ${r.namespace}: ${apiFailure(err)}`);
    }
    const current = { name: v.name, uid: now.metadata?.uid ?? '', resourceVersion: now.metadata?.resourceVersion ?? '' };
    if (current.uid !== v.uid || current.resourceVersion !== v.resourceVersion) changed.push({ v, now: describeVersion(current) });
  }
  if (changed.length) {
    throw new ChangedSinceFault(changed.map((c) => `networkpolicy/${r.namespace}/${c.v.name}`).join(', '), changed.map((c) => describeVersion(c.v)).join('; '), changed.map((c) => c.now).join('; '));
  }
}

const describeVersion = (v: PolicyVersion): string => `uid ${v.uid} resourceVersion ${v.resourceVersion}`;

export function describeCut(p: CutParams, namespace: string): string {
  if (p.selector) return `isolate ${p.selector} in ${namespace} (${p.direction ?? 'both'})`;
  return `cut ${p.from} → ${p.to} in ${namespace} (${p.direction ?? 'ingress'} polic${p.direction === 'both' ? 'ies' : 'y'})`;
}

/** The NetworkPolicies of a cut, named uniquely and labelled with the run. */
export function buildPolicies(p: CutParams, namespace: string, ctx: Pick<FaultContext, 'runId' | 'step'>): V1NetworkPolicy[] {
  const suffix = randomBytes(3).toString('hex');
  const meta = (role: string) => ({
    name: `crt-cut-${slug(ctx.step)}-${role}-${suffix}`.slice(0, 63).replace(/-+$/, ''),
    namespace,
    labels: { [RUN_ID_LABEL]: labelValue(ctx.runId), [STEP_LABEL]: labelValue(ctx.step), 'app.kubernetes.io/managed-by': 'crt' },
    annotations: { 'crt.io/run-id': ctx.runId, 'crt.io/description': 'created by crt network-cut; deleted by its revert (crt revert)' },
  });
  const selector = (text: string, field: string): V1LabelSelector => {
    try {
      return labelSelectorObject(text);
    } catch (err) {
      throw new FaultError(`network-cut: ${field} "${text}" is not a label selector: ${(err as Error).message}`);
    }
  };
  if (p.selector) {
    const direction = p.direction ?? 'both';
    const types = direction === 'both' ? ['Ingress', 'Egress'] : direction === 'ingress' ? ['Ingress'] : ['Egress'];
    return [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('isolate'), spec: { podSelector: selector(p.selector, 'selector'), policyTypes: types } }];
  }
  const from = p.from as string;
  const to = p.to as string;
  const direction = p.direction ?? 'ingress';
  const otherNamespaces: V1NetworkPolicyPeer = { namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: 'NotIn', values: [namespace] }] } };
  const out: V1NetworkPolicy[] = [];
  if (direction !== 'egress') {
    selector(from, 'from');
    const peers = [...negatedSelectors(from).map((s) => ({ podSelector: s })), otherNamespaces];
    out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('in'), spec: { podSelector: selector(to, 'to'), policyTypes: ['Ingress'], ingress: [{ _from: peers }] } });
  }
  if (direction !== 'ingress') {
    selector(to, 'to');
    const peers = [...negatedSelectors(to).map((s) => ({ podSelector: s })), otherNamespaces];
    const dns = { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] } as never;
    out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('out'), spec: { podSelector: selector(from, 'from'), policyTypes: ['Egress'], egress: [{ to: peers }, dns] } });
  }
  return out;
}

/** The pods whose traffic the cut changes, capped by maxPercent of the namespace's pods. */
async function affectedPods(ctx: FaultContext, namespace: string, p: CutParams): Promise<string[]> {
  const kube = requireKube(ctx, 'network-cut');
  const list = async (labelSelector?: string) =>
    (await kubeCall(`list pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: labelSelector || undefined }))).items
      .filter(isLivePod)
      .map((pod) => pod.metadata!.name!);
  const names = p.selector ? await list(p.selector) : [...new Set([...(await list(p.from)), ...(await list(p.to))])];
  if (names.length === 0) throw new FaultError(`network-cut: no running pod matches ${p.selector ?? `${p.from} or ${p.to}`} in namespace ${namespace}`);
  if (p.maxPercent !== undefined) {
    const all = (await list()).length;
    if (all > 0 && exceedsMaxPercent(names.length, all, p.maxPercent)) {
      throw new FaultError(`refused: the cut affects ${names.length} of ${all} pods in ${namespace} (${Math.round((100 * names.length) / all)}%), above maxPercent ${p.maxPercent}`);
    }
  }
  return names.sort();
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'step';

