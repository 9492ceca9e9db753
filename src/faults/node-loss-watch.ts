import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../core/index.js';
import { isNodeReady, type KubeClients } from '../kube/index.js';
import { follow } from './follow.js';
import type { LossBound } from './node-loss-timeout.js';

/** What a node loss did, as seen through the API; null where it did not happen within the bound. */
export interface NodeLossTimes {
  node: string;
  /** from the injection to the node's Ready condition no longer True */
  notReadyMs: number | null;
  /** from the injection to every pod that was on the node being marked for deletion (or gone) */
  podsEvictedMs: number | null;
  /** pods of the node at the injection, and those still not marked for deletion at the end */
  pods: number;
  podsLeft: string[];
}

export const nodeReady: (node: V1Node) => boolean = isNodeReady;

/**
 * Follows one node and the pods it had when the loss was injected, each with one list and one watch,
 * until the node is not Ready and those pods are marked for deletion (or gone), or `deadlineMs`: the
 * times are those of the events, not of a poll. A node deleted from the API (a cloud provider
 * removing a dead VM) counts as not Ready. `expectNotReady` is false for the taint provider, whose
 * node stays Ready by design.
 */
export async function measureNodeLoss(
  kube: KubeClients, clock: Clock, signal: AbortSignal,
  m: { node: string; startedMs: number; deadlineMs: number; podUids: Set<string>; expectNotReady: boolean },
): Promise<NodeLossTimes> {
  const elapsed = (): number => Math.round(clock.now() - m.startedMs);
  let notReadyMs: number | null = null;
  let podsEvictedMs: number | null = null;
  const left = new Map<string, string>();
  for (const uid of m.podUids) left.set(uid, uid);
  const nodeSelector = `metadata.name=${m.node}`;
  const podSelector = `spec.nodeName=${m.node}`;
  const nodeGone = (): boolean => (notReadyMs ??= elapsed(), true);
  const podsGone = (): boolean => (left.size === 0 ? (podsEvictedMs ??= elapsed(), true) : false);
  // a failure of one follow ends the other (no watch left open until the deadline)
  const both = new AbortController();
  signal = AbortSignal.any([signal, both.signal]);
  await Promise.all([
    m.expectNotReady ? follow<V1Node>(kube, clock, signal, {
      path: '/api/v1/nodes', fieldSelector: nodeSelector, deadlineMs: m.deadlineMs,
      list: () => kube.core.listNode({ fieldSelector: nodeSelector }),
      onList: (nodes) => (nodes.length === 0 || !nodeReady(nodes[0]!) ? nodeGone() : false),
      onEvent: (type, node) => (type === 'DELETED' || !nodeReady(node) ? nodeGone() : false),
    }) : undefined,
    m.podUids.size === 0 ? podsGone() : follow<V1Pod>(kube, clock, signal, {
      path: '/api/v1/pods', fieldSelector: podSelector, deadlineMs: m.deadlineMs,
      list: () => kube.core.listPodForAllNamespaces({ fieldSelector: podSelector }),
      onList: (pods) => {
        const still = new Map(pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => [p.metadata?.uid ?? '', `${p.metadata?.namespace}/${p.metadata?.name}`]));
        for (const uid of [...left.keys()]) {
          const at = still.get(uid);
          if (at === undefined) left.delete(uid);
          else left.set(uid, at);
        }
        return podsGone();
      },
      onEvent: (type, pod) => {
        if (type === 'DELETED' || pod.metadata?.deletionTimestamp) left.delete(pod.metadata?.uid ?? '');
        return podsGone();
      },
    }),
  ]).catch((err: unknown) => {
    both.abort();
    throw err;
  });
  return { node: m.node, notReadyMs, podsEvictedMs, pods: m.podUids.size, podsLeft: podsEvictedMs === null ? [...left.values()].sort() : [] };
}

/**
 * One line per node for the report, saying what was not seen within the bound, and when the pods
 * were due by the cluster's settings (`expected`): a bound given by the plan may end before that.
 */
export function describeTimes(t: NodeLossTimes, bound: LossBound, expectNotReady: boolean): string {
  const { timeoutMs } = bound;
  const notReady = !expectNotReady ? 'stays Ready (taint)' : t.notReadyMs === null ? `still Ready after ${timeoutMs} ms` : `NotReady after ${t.notReadyMs} ms`;
  const due = `due by ${bound.expectedMs} ms with the ${bound.timingsFrom === 'cluster settings' ? 'cluster\'s settings' : 'Kubernetes defaults'}`;
  const early = bound.timeoutFrom === 'plan' && timeoutMs < bound.expectedMs ? ` (the plan's timeout ended before they were ${due})` : ` (${due})`;
  const pods = t.pods === 0 ? 'had no pods'
    : t.podsEvictedMs === null ? `${t.podsLeft.length} of ${t.pods} pods not evicted after ${timeoutMs} ms${early}`
      : `${t.pods} pods evicted after ${t.podsEvictedMs} ms`;
  return `${t.node}: ${notReady}, ${pods}`;
}
