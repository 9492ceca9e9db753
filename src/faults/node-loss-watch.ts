import type { CoreV1Api, V1Node } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { apiStatus } from './kube-common.js';
import { podsOnNode } from './node-pick.js';
import type { LossBound } from './node-loss-timeout.js';

const POLL_MS = 100;

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

export const nodeReady = (node: V1Node): boolean => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Polls (every 100 ms) one node and the pods it had when the loss was injected, until the node is
 * not Ready and those pods are marked for deletion, or `deadlineMs`. Polling rather than a watch:
 * the two conditions span two resources, and a 100 ms resolution is finer than any controller's period.
 * `expectNotReady` is false for the taint provider, whose node stays Ready by design.
 */
export async function measureNodeLoss(
  core: CoreV1Api, clock: Clock, signal: AbortSignal,
  m: { node: string; startedMs: number; deadlineMs: number; podUids: Set<string>; expectNotReady: boolean },
): Promise<NodeLossTimes> {
  let notReadyMs: number | null = null;
  let podsEvictedMs: number | null = null;
  let left: string[] = [];
  for (;;) {
    const elapsed = Math.round(clock.now() - m.startedMs);
    if (notReadyMs === null && m.expectNotReady && !(await stillReady(core, m.node))) notReadyMs = elapsed;
    if (podsEvictedMs === null) {
      left = (await podsOnNode(core, m.node))
        .filter((p) => m.podUids.has(p.metadata?.uid ?? '') && !p.metadata?.deletionTimestamp)
        .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
      if (left.length === 0) podsEvictedMs = elapsed;
    }
    const done = podsEvictedMs !== null && (notReadyMs !== null || !m.expectNotReady);
    if (done || clock.now() >= m.deadlineMs) break;
    await clock.sleep(POLL_MS, signal);
  }
  return { node: m.node, notReadyMs, podsEvictedMs, pods: m.podUids.size, podsLeft: podsEvictedMs === null ? left : [] };
}

/** A node deleted from the API (a cloud provider removing a dead VM) counts as not Ready. */
async function stillReady(core: CoreV1Api, name: string): Promise<boolean> {
  try {
    return nodeReady(await core.readNode({ name }));
  } catch (err) {
    if (apiStatus(err) === 404) return false;
    throw err;
  }
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
