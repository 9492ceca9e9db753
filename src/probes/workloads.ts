import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ProbeSpec } from '../plan/index.js';
import { isLivePod, isPodReady } from '../kube/index.js';
import { bounded, kubeProbe, probeNamespace, targetDeployments } from './kube-common.js';
import type { Probe } from './probe.js';

/**
 * Whether a Deployment is fully rolled out and serving: every desired replica ready and updated,
 * no surplus pods left, and the controller has seen the latest spec (otherwise the counts are
 * those of the previous generation).
 */
export function deploymentStatus(d: V1Deployment): { ok: boolean; detail: string } {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const ready = s.readyReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const generation = d.metadata?.generation ?? 1;
  const observed = s.observedGeneration ?? 0;
  const ok = ready === desired && updated === desired && total === desired && available === desired && observed >= generation;
  const extra = [available !== ready ? `available ${available}` : null, total !== desired ? `${total} pods` : null].filter(Boolean);
  const detail = `${d.metadata?.name}: ${ready}/${desired} ready, updated ${updated}, generation ${observed}/${generation}${extra.length ? `, ${extra.join(', ')}` : ''}`;
  return { ok, detail };
}

/** `deployment-available`: one Deployment, those of a selector, or all of a namespace are rolled out. */
export function deploymentAvailableProbe(spec: ProbeSpec): Probe {
  return kubeProbe(spec, async (kube, ctx) => {
    const states = (await targetDeployments(kube, spec.params, ctx.signal)).map(deploymentStatus);
    const failing = states.filter((s) => !s.ok);
    // the ones that are not available first: a long list is cut in reports
    return { ok: failing.length === 0, detail: [...failing, ...states.filter((s) => s.ok)].map((s) => s.detail).join('; ') };
  });
}

function podReady(p: V1Pod): boolean {
  return isLivePod(p) && p.status?.phase === 'Running' && isPodReady(p);
}

/** `pods-spread`: the ready pods of a selector run on at least `minNodes` distinct nodes. */
export function podsSpreadProbe(spec: ProbeSpec): Probe {
  const selector = spec.params.selector as string;
  const minNodes = spec.params.minNodes as number;
  return kubeProbe(spec, async (kube, ctx) => {
    const namespace = probeNamespace(kube, spec.params);
    const pods = (await bounded(kube.core.listNamespacedPod({ namespace, labelSelector: selector }), ctx.signal)).items;
    const ready = pods.filter((p) => podReady(p) && p.spec?.nodeName);
    const perNode = new Map<string, number>();
    for (const p of ready) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    const nodes = [...perNode.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, c]) => `${n}: ${c}`);
    const notReady = pods.length - ready.length;
    const ok = perNode.size >= minNodes;
    const detail = `${namespace} ${selector}: ${ready.length} ready pods on ${perNode.size} node${perNode.size === 1 ? '' : 's'}`
      + `${nodes.length ? ` (${nodes.join(', ')})` : ''}${notReady ? `, ${notReady} not ready` : ''}${ok ? '' : `, expected at least ${minNodes}`}`;
    return { ok, detail };
  });
}
