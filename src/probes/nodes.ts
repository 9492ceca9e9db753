import type { V1Node } from '@kubernetes/client-node';
import type { ProbeSpec } from '../plan/index.js';
import { bounded, kubeProbe } from './kube-common.js';
import type { Probe } from './probe.js';

/** The node's Ready condition status: True, False or Unknown (a node that stopped reporting). */
function readyStatus(n: V1Node): string {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/**
 * `nodes-ready`: at least `count` nodes Ready, and/or `all` of them; with neither key, all of
 * them (and at least one), as a condition "the cluster is healthy" is usually meant.
 */
export function nodesReadyProbe(spec: ProbeSpec): Probe {
  const count = spec.params.count as number | undefined;
  const all = (spec.params.all as boolean | undefined) ?? count === undefined;
  return kubeProbe(spec, async (kube, ctx) => {
    const nodes = (await bounded(kube.core.listNode(), ctx.signal)).items;
    const notReady = nodes.filter((n) => readyStatus(n) !== 'True')
      .map((n) => `${n.metadata?.name} ${readyStatus(n)}`).sort();
    const ready = nodes.length - notReady.length;
    const problems = [
      count !== undefined && ready < count ? `expected at least ${count}` : null,
      all && notReady.length > 0 ? 'expected all' : null,
      all && nodes.length === 0 ? 'the cluster has no nodes' : null,
    ].filter(Boolean);
    const detail = `${ready}/${nodes.length} nodes Ready${notReady.length ? ` (not ready: ${notReady.join(', ')})` : ''}${problems.length ? `; ${problems.join('; ')}` : ''}`;
    return { ok: problems.length === 0, detail };
  });
}
