import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { parseDuration } from '../core/units.js';
import type { ActionSpec } from '../plan/types.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { apiMessage, apiStatus, requireKube } from './kube-common.js';
import { describePick, pickNodes, podRef, podsOnNode, setUnschedulable, type NodePickParams } from './node-pick.js';

export const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
const GONE_POLL_MS = 200;

interface DrainParams extends NodePickParams {
  deleteEmptyDirData?: boolean;
  ignoreDaemonSets?: boolean;
  gracePeriodSeconds?: number;
  timeout?: string;
}

interface DrainRevert extends RevertRecord {
  fault: 'node-drain';
  /** only the nodes that were schedulable before: a node the operator had cordoned stays cordoned */
  nodes: string[];
  /** what crt set on each of them: the cordon */
  set?: { unschedulable: true };
}

interface Drain {
  p: DrainParams;
  core: CoreV1Api;
  ctx: FaultContext;
  deadlineMs: number;
  /** 429 answers (PodDisruptionBudget refusals) seen, for the report */
  refusals: number;
}

/**
 * `node-drain`, as `kubectl drain`: cordon, then evict every pod of the node through the eviction
 * subresource so that PodDisruptionBudgets are honoured (a 429 is retried with back-off until
 * `timeout`), then wait until the evicted pods are gone. Mirror pods are skipped; DaemonSet pods
 * and pods with emptyDir volumes are refused unless ignoreDaemonSets / deleteEmptyDirData.
 */
export const nodeDrainFault: FaultDefinition = {
  create(action: ActionSpec) {
    const p = action.params as unknown as DrainParams;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_DRAIN_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const kube = requireKube(ctx, 'node-drain');
        const nodes = await pickNodes(kube, p, 'node-drain');
        const schedulable = await filterSchedulable(kube.core, nodes);
        const revert: DrainRevert = { fault: 'node-drain', nodes: schedulable, set: { unschedulable: true } };
        return {
          summary: `drain ${nodes.join(', ')} (${describePick(p)})`,
          targets: nodes.map((n) => `node/${n}`),
          revert,
          async apply() {
            const started = ctx.clock.now();
            const drain: Drain = { p, core: kube.core, ctx, deadlineMs: started + timeoutMs, refusals: 0 };
            const evicted: string[] = [];
            for (const node of nodes) evicted.push(...(await drainNode(drain, node)));
            const durationMs = Math.round(ctx.clock.now() - started);
            return {
              detail: `drained ${nodes.join(', ')}: ${evicted.length} pods evicted, ${drain.refusals} refused by a disruption budget then retried`,
              data: { nodes, evictedPods: evicted.length, evicted, budgetRefusals: drain.refusals, durationMs },
            };
          },
        };
      },
    };
  },

  /**
   * Uncordons the nodes crt cordoned that are still cordoned. A node someone uncordoned since is as it
   * was before the fault (nothing to undo); a cordon has no other state that could have changed.
   */
  async revert(record: RevertRecord, ctx: FaultContext) {
    const r = record as DrainRevert;
    const kube = requireKube(ctx, 'node-drain revert');
    const uncordoned: string[] = [];
    const already: string[] = [];
    for (const node of r.nodes) {
      try {
        if ((await kube.core.readNode({ name: node })).spec?.unschedulable !== true) {
          already.push(node);
          continue;
        }
        await setUnschedulable(kube.core, node, false);
        uncordoned.push(node);
      } catch (err) {
        // a node that is gone has nothing left to uncordon
        if (apiStatus(err) !== 404) throw err;
        already.push(`${node} (gone)`);
      }
    }
    if (r.nodes.length === 0) return 'nothing to uncordon (the nodes were cordoned before)';
    const also = already.length ? `${already.join(', ')} already schedulable: nothing to undo` : '';
    return uncordoned.length ? `uncordoned ${uncordoned.join(', ')}${also ? ` (${also})` : ''}` : also;
  },
};

async function filterSchedulable(core: CoreV1Api, nodes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of nodes) if (!(await core.readNode({ name })).spec?.unschedulable) out.push(name);
  return out;
}

/** Cordons and empties one node; returns the pods it evicted (`namespace/name`). */
async function drainNode(d: Drain, node: string): Promise<string[]> {
  // refused before the cordon, so that a drain kubectl would refuse changes nothing
  evictable(await podsOnNode(d.core, node), d.p, node);
  await setUnschedulable(d.core, node, true);
  const pods = evictable(await podsOnNode(d.core, node), d.p, node);
  await Promise.all(pods.map((pod) => evictWithRetry(d, pod)));
  await Promise.all(pods.map((pod) => waitGone(d, pod)));
  return pods.map(podRef);
}

/** kubectl drain's filters: what to skip, and what to refuse (all refusals in one error). */
export function evictable(pods: V1Pod[], p: Pick<DrainParams, 'deleteEmptyDirData' | 'ignoreDaemonSets'>, node: string): V1Pod[] {
  const refused: string[] = [];
  const out: V1Pod[] = [];
  for (const pod of pods) {
    if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) continue;
    if (pod.metadata?.deletionTimestamp) continue;
    if (pod.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet')) {
      if (!p.ignoreDaemonSets) refused.push(`${podRef(pod)} is managed by a DaemonSet (set ignoreDaemonSets)`);
      continue;
    }
    if (!p.deleteEmptyDirData && pod.spec?.volumes?.some((v) => v.emptyDir)) {
      refused.push(`${podRef(pod)} has emptyDir data (set deleteEmptyDirData)`);
      continue;
    }
    out.push(pod);
  }
  if (refused.length) throw new FaultError(`cannot drain ${node}: ${refused.join('; ')}`, refused.join('\n'));
  return out;
}

async function evictWithRetry(d: Drain, pod: V1Pod): Promise<void> {
  const { name, namespace } = { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! };
  const body = {
    apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace },
    ...(d.p.gracePeriodSeconds !== undefined ? { deleteOptions: { gracePeriodSeconds: d.p.gracePeriodSeconds } } : {}),
  };
  for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
    try {
      await d.core.createNamespacedPodEviction({ name, namespace, body });
      return;
    } catch (err) {
      const status = apiStatus(err);
      if (status === 404) return;
      if (status !== 429) throw new FaultError(`evicting ${podRef(pod)} failed: ${apiMessage(err)}`);
      d.refusals++;
    }
    const leftMs = d.deadlineMs - d.ctx.clock.now();
    if (leftMs <= 0) throw new FaultError(`evicting ${podRef(pod)}: still refused by its disruption budget when the drain timeout ran out`);
    await d.ctx.clock.sleep(Math.min(backoffMs, leftMs), d.ctx.signal);
  }
}

/** Waits until the evicted pod is deleted (or replaced by a pod of the same name with a new uid). */
async function waitGone(d: Drain, pod: V1Pod): Promise<void> {
  const { name, namespace, uid } = pod.metadata!;
  for (;;) {
    try {
      const now = await d.core.readNamespacedPod({ name: name!, namespace: namespace! });
      if (now.metadata?.uid !== uid) return;
    } catch (err) {
      if (apiStatus(err) === 404) return;
      throw err;
    }
    if (d.ctx.clock.now() >= d.deadlineMs) throw new FaultError(`evicted pod ${podRef(pod)} still not gone when the drain timeout ran out`);
    await d.ctx.clock.sleep(GONE_POLL_MS, d.ctx.signal);
  }
}
