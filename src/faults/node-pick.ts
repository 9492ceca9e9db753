import { PatchStrategy, setHeaderOptions, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { maxPercentCap, namespaceOr, retryApiCall, type KubeClients } from '../kube/index.js';
import { FaultError, type FaultContext } from './fault.js';
import { apiStatus } from './kube-common.js';
import { protectedNodes, type ProtectedNode } from './protected-nodes.js';

/** The node-picking keys shared by `node-drain` and `node-loss` (exactly one of node, nodeSelector, nodeOf, zone). */
export interface NodePickParams {
  node?: string;
  nodeSelector?: string;
  /** every node whose topology.kubernetes.io/zone is this value (a zone outage) */
  zone?: string;
  nodeOf?: { namespace?: string; selector?: string; pod?: string };
  count?: number;
  maxPercent?: string;
}

export interface NodePick {
  /** the nodes to act on, sorted by name */
  nodes: string[];
  /** matching nodes left out because crt or its load workers run there (`node-1 (crt runs there)`) */
  excluded: string[];
}

/**
 * Resolves the nodes a fault touches, sorted by name so that a plan picks the same nodes on every
 * run. Nodes crt itself or its load workers run on are never picked: losing them would end the
 * measurement, not test the system (a pick naming one is refused). `count` keeps the first n;
 * `maxPercent` refuses a pick larger than that share of the cluster's nodes (a blast-radius guard:
 * a typo in a selector must not take the cluster down).
 */
export async function pickNodes(kube: KubeClients, p: NodePickParams, fault: string, ctx: FaultContext): Promise<NodePick> {
  const read = <T>(fn: () => Promise<T>): Promise<T> => retryApiCall(fn, { clock: ctx.clock, signal: ctx.signal });
  const matching = await read(() => candidateNodes(kube, p, fault));
  const guarded = await protectedNodes(kube, ctx);
  const isGuarded = (n: string): ProtectedNode | undefined => guarded.find((g) => g.node === n);
  if (p.node !== undefined && isGuarded(p.node)) {
    throw new FaultError(`${fault}: node ${p.node} is spared: ${isGuarded(p.node)!.why}, and losing it would end the measurement, not test the system`);
  }
  const excluded = matching.filter((n) => isGuarded(n)).map((n) => `${n} (${isGuarded(n)!.why})`);
  // a zone outage loses the whole zone or nothing: a zone with crt's own node in it cannot go
  if (p.zone !== undefined && excluded.length) throw new FaultError(`${fault}: zone ${p.zone} holds ${excluded.join(', ')}: losing the whole zone would end the measurement, not test the system`);
  let names = matching.filter((n) => !isGuarded(n));
  if (names.length === 0) throw new FaultError(`${fault}: no node matches ${describePick(p, kube.kc)}${excluded.length ? ` but ${excluded.join(', ')}` : ''}`);
  if (p.count !== undefined) names = names.slice(0, p.count);
  if (p.maxPercent !== undefined) {
    const total = (await read(() => kube.core.listNode())).items.length;
    const cap = maxPercentCap(p.maxPercent, total);
    if (names.length > cap) {
      throw new FaultError(`${fault}: ${names.length} of ${total} nodes (${names.join(', ')}) is more than maxPercent ${p.maxPercent} (at most ${cap})`);
    }
  }
  return { nodes: names, excluded };
}

/** The well-known label of a node's failure zone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

async function candidateNodes(kube: KubeClients, p: NodePickParams, fault: string): Promise<string[]> {
  const core = kube.core;
  if (p.node !== undefined) {
    try {
      return [(await core.readNode({ name: p.node })).metadata!.name!];
    } catch (err) {
      if (apiStatus(err) === 404) throw new FaultError(`${fault}: node ${p.node} not found`);
      throw err;
    }
  }
  if (p.nodeSelector !== undefined) {
    const nodes = await core.listNode({ labelSelector: p.nodeSelector });
    return nodes.items.map((n) => n.metadata!.name!).sort();
  }
  if (p.zone !== undefined) {
    const nodes = await core.listNode({ labelSelector: `${ZONE_LABEL}=${p.zone}` });
    return nodes.items.map((n) => n.metadata!.name!).sort();
  }
  if (p.nodeOf) return nodesOfPods(core, p.nodeOf, namespaceOr(p.nodeOf.namespace, kube.kc));
  throw new FaultError(`${fault}: say which node with node, nodeSelector, nodeOf or zone`);
}

async function nodesOfPods(core: CoreV1Api, of: NonNullable<NodePickParams['nodeOf']>, namespace: string): Promise<string[]> {
  let pods: V1Pod[];
  if (of.pod !== undefined) {
    try {
      pods = [await core.readNamespacedPod({ namespace, name: of.pod })];
    } catch (err) {
      if (apiStatus(err) === 404) return [];
      throw err;
    }
  } else {
    pods = (await core.listNamespacedPod({ namespace, labelSelector: of.selector })).items;
  }
  const names = pods.filter((pod) => !pod.metadata?.deletionTimestamp).map((pod) => pod.spec?.nodeName).filter((n): n is string => !!n);
  return [...new Set(names)].sort();
}

/** The pick in words; `kc`: the kubeconfig whose context's namespace a `nodeOf` without one looks in. */
export function describePick(p: NodePickParams, kc: KubeConfig | undefined): string {
  if (p.node !== undefined) return `node ${p.node}`;
  if (p.nodeSelector !== undefined) return `nodeSelector ${p.nodeSelector}`;
  if (p.zone !== undefined) return `zone ${p.zone}`;
  const of = p.nodeOf ?? {};
  return `the node of ${of.pod !== undefined ? `pod ${of.pod}` : `pods ${of.selector ?? '(all)'}`} in ${namespaceOr(of.namespace, kc)}`;
}

/** Sets or clears spec.unschedulable (kubectl cordon / uncordon). */
export async function setUnschedulable(core: CoreV1Api, node: string, unschedulable: boolean): Promise<void> {
  // null (not false) removes the field, as kubectl uncordon leaves the node
  const body = { spec: { unschedulable: unschedulable ? true : null } };
  await core.patchNode({ name: node, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** The pods bound to a node, terminating ones included. */
export async function podsOnNode(core: CoreV1Api, node: string): Promise<V1Pod[]> {
  return (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items;
}

export const podRef = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
