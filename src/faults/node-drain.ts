import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration } from '../core/index.js';
import { classifyApiFailure, describeFailureKind, retryApiCall, type ApiFailure, type KubeClients } from '../kube/index.js';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { selectForDrain, type DaemonSetLookup } from './drain-filters.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { apiFailure, apiMessage, apiStatus, requireKube } from './kube-common.js';
import { describePick, pickNodes, podRef, podsOnNode, setUnschedulable } from './node-pick.js';
import { waitPodsGone } from './pod-watch.js';

export const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

/** The step's parameters, as the schema types them. */
type DrainParams = FaultParams['node-drain'];

interface DrainRevert extends RevertRecord {
  fault: 'node-drain';
  /** only the nodes that were schedulable before: a node the operator had cordoned stays cordoned */
  nodes: string[];
  /** what crt set on each of them: the cordon */
  set?: { unschedulable: true };
}

/** What the evictions met, for the step's data: PDB refusals and server throttling are told apart. */
interface Refusals {
  /** 429s of the eviction subresource refusing to break a PodDisruptionBudget */
  budget: number;
  /** other 429s: API Priority and Fairness, max-in-flight */
  throttled: number;
  /** 5xx and connection failures, retried */
  transient: number;
}

interface Drain {
  p: DrainParams;
  kube: KubeClients;
  ctx: FaultContext;
  deadlineMs: number;
  refusals: Refusals;
  warnings: string[];
}

/**
 * `node-drain`, as `kubectl drain`: cordon, then evict the pods kubectl's filters let go through the
 * eviction subresource so that PodDisruptionBudgets are honoured (a budget's 429 is retried with
 * back-off until `timeout`; the API server's own 429s and 5xx are retried as well, and counted
 * apart), then wait, with one watch on the node's pods, until the evicted pods are gone.
 */
export const nodeDrainFault: FaultDefinition<'node-drain'> = {
  namespaceRule: 'node-of',
  create(action: ActionOf<'node-drain'>) {
    const p = action.params;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_DRAIN_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const kube = requireKube(ctx, 'node-drain');
        const { nodes, excluded } = await pickNodes(kube, p, 'node-drain', ctx);
        const schedulable = await filterSchedulable(kube, ctx, nodes);
        const revert: DrainRevert = { fault: 'node-drain', nodes: schedulable, set: { unschedulable: true } };
        return {
          summary: `drain ${nodes.join(', ')} (${describePick(p, ctx.kube?.kc)})${excluded.length ? `; not ${excluded.join(', ')}` : ''}`,
          targets: nodes.map((n) => `node/${n}`),
          revert,
          async apply() {
            const started = ctx.clock.now();
            const drain: Drain = { p, kube, ctx, deadlineMs: started + timeoutMs, refusals: { budget: 0, throttled: 0, transient: 0 }, warnings: [] };
            const evicted: string[] = [];
            for (const node of nodes) evicted.push(...(await drainNode(drain, node)));
            const durationMs = Math.round(ctx.clock.now() - started);
            const r = drain.refusals;
            const also = [r.throttled ? `${r.throttled} throttled by the API server (429)` : '', r.transient ? `${r.transient} transient server errors` : ''].filter(Boolean);
            return {
              detail: `drained ${nodes.join(', ')}: ${evicted.length} pods evicted, ${r.budget} refused by a disruption budget then retried${also.length ? `, ${also.join(', ')}, retried` : ''}`
                + (drain.warnings.length ? `; warning: ${drain.warnings.join('; ')}` : ''),
              data: {
                nodes, evictedPods: evicted.length, evicted, budgetRefusals: r.budget, throttled: r.throttled, transientErrors: r.transient,
                warnings: drain.warnings, ...(excluded.length ? { excluded } : {}), durationMs,
              },
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
        if ((await retryApiCall(() => kube.core.readNode({ name: node }), { clock: ctx.clock, signal: ctx.signal })).spec?.unschedulable !== true) {
          already.push(node);
          continue;
        }
        await retryApiCall(() => setUnschedulable(kube.core, node, false), { clock: ctx.clock, signal: ctx.signal });
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

async function filterSchedulable(kube: KubeClients, ctx: FaultContext, nodes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of nodes) {
    const node = await retryApiCall(() => kube.core.readNode({ name }), { clock: ctx.clock, signal: ctx.signal });
    if (!node.spec?.unschedulable) out.push(name);
  }
  return out;
}

/** Cordons and empties one node; returns the pods it evicted (`namespace/name`). */
async function drainNode(d: Drain, node: string): Promise<string[]> {
  // refused before the cordon, so that a drain kubectl would refuse changes nothing
  await podsToEvict(d, node);
  await retryApiCall(() => setUnschedulable(d.kube.core, node, true), { clock: d.ctx.clock, signal: d.ctx.signal });
  const pods = await podsToEvict(d, node, true);
  await Promise.all(pods.map((pod) => evictWithRetry(d, pod)));
  const left = await waitPodsGone(d.kube, d.ctx, { fieldSelector: `spec.nodeName=${node}`, uids: new Set(pods.map((p) => p.metadata!.uid!)), deadlineMs: d.deadlineMs });
  if (left.length) throw new FaultError(`evicted pods still not gone from ${node} when the drain timeout ran out: ${left.join(', ')}`);
  return pods.map(podRef);
}

/** The node's pods through kubectl's filters; a FaultError naming every refusal, as kubectl lists them. */
async function podsToEvict(d: Drain, node: string, keepWarnings = false): Promise<V1Pod[]> {
  const pods = await retryApiCall(() => podsOnNode(d.kube.core, node), { clock: d.ctx.clock, signal: d.ctx.signal });
  const selection = selectForDrain(pods, d.p, await lookupDaemonSets(d, pods));
  if (selection.errors.length) throw new FaultError(`cannot drain ${node}: ${selection.errors.join('; ')}`, selection.errors.join('\n'));
  if (keepWarnings) d.warnings.push(...selection.warnings);
  return selection.evict;
}

/** GETs the DaemonSet of each running DaemonSet pod, as kubectl's daemonSetFilter does. */
async function lookupDaemonSets(d: Drain, pods: V1Pod[]): Promise<DaemonSetLookup> {
  const answers = new Map<string, ReturnType<DaemonSetLookup>>();
  for (const pod of pods) {
    const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
    const namespace = pod.metadata?.namespace ?? '';
    if (owner?.kind !== 'DaemonSet' || answers.has(`${namespace}/${owner.name}`)) continue;
    try {
      await retryApiCall(() => d.kube.apps.readNamespacedDaemonSet({ namespace, name: owner.name }), { clock: d.ctx.clock, signal: d.ctx.signal });
      answers.set(`${namespace}/${owner.name}`, { found: true });
    } catch (err) {
      answers.set(`${namespace}/${owner.name}`, { found: false, notFound: apiStatus(err) === 404, message: apiMessage(err) });
    }
  }
  return (namespace, name) => answers.get(`${namespace}/${name}`) ?? { found: true };
}

async function evictWithRetry(d: Drain, pod: V1Pod): Promise<void> {
  const { name, namespace } = { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! };
  const body = {
    apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace },
    ...(d.p.gracePeriodSeconds !== undefined ? { deleteOptions: { gracePeriodSeconds: d.p.gracePeriodSeconds } } : {}),
  };
  for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
    let failure: ApiFailure;
    try {
      await d.kube.core.createNamespacedPodEviction({ name, namespace, body });
      return;
    } catch (err) {
      if (apiStatus(err) === 404) return;
      failure = classifyApiFailure(err);
      if (failure.kind === 'permanent') throw new FaultError(`evicting ${podRef(pod)} failed: ${apiFailure(err)}`);
      d.refusals[failure.kind]++;
    }
    const leftMs = d.deadlineMs - d.ctx.clock.now();
    if (leftMs <= 0) {
      const still = failure.kind === 'budget' ? 'still refused by its disruption budget' : `still ${describeFailureKind(failure)}`;
      throw new FaultError(`evicting ${podRef(pod)}: ${still} when the drain timeout ran out`, failure.message);
    }
    const waitMs = failure.kind !== 'budget' && failure.retryAfterMs ? failure.retryAfterMs : backoffMs;
    await d.ctx.clock.sleep(Math.min(waitMs, leftMs), d.ctx.signal);
  }
}
