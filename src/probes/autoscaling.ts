import { AutoscalingV2Api, PolicyV1Api, type V1PodDisruptionBudget, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { ProbeSpec } from '../plan/index.js';
import { bounded, kubeProbe, probeNamespace, selectorMatches, targetDeployments } from './kube-common.js';
import type { Probe } from './probe.js';

/**
 * `pdb-exists`: every Deployment the probe is about (named, by selector, or all of the namespace)
 * has a PodDisruptionBudget selecting its pods: matched on the pod template's labels, as the
 * disruption controller matches the pods themselves.
 */
export function pdbExistsProbe(spec: ProbeSpec): Probe {
  return kubeProbe(spec, async (kube, ctx) => {
    const namespace = probeNamespace(kube, spec.params);
    const deployments = await targetDeployments(kube, spec.params, ctx.signal);
    const policy = kube.kc.makeApiClient(PolicyV1Api);
    const pdbs = (await bounded(policy.listNamespacedPodDisruptionBudget({ namespace }), ctx.signal)).items;
    const lines = deployments.map((d) => {
      const labels = d.spec?.template?.metadata?.labels ?? {};
      const covering = pdbs.filter((b) => selectorMatches(b.spec?.selector, labels));
      return { ok: covering.length > 0, detail: `${d.metadata?.name}: ${covering.length ? covering.map(describePdb).join(', ') : 'no PodDisruptionBudget selects its pods'}` };
    });
    const failing = lines.filter((l) => !l.ok);
    return { ok: failing.length === 0, detail: [...failing, ...lines.filter((l) => l.ok)].map((l) => l.detail).join('; ') };
  });
}

function describePdb(b: V1PodDisruptionBudget): string {
  const budget = b.spec?.minAvailable !== undefined ? `minAvailable ${b.spec.minAvailable}` : b.spec?.maxUnavailable !== undefined ? `maxUnavailable ${b.spec.maxUnavailable}` : 'no budget';
  return `PDB ${b.metadata?.name} (${budget}, disruptionsAllowed ${b.status?.disruptionsAllowed ?? 0})`;
}

type Bound = number | { min?: number; max?: number };

function boundProblem(what: string, value: number, bound: Bound | undefined): string | null {
  if (bound === undefined) return null;
  // a bare count is exact: "currentReplicas: 3" reads as "3 replicas", not "at most 3"
  const { min, max } = typeof bound === 'number' ? { min: bound, max: bound } : bound;
  if (min !== undefined && max !== undefined && min === max) return value === min ? null : `${what} ${value}, expected ${min}`;
  if (min !== undefined && value < min) return `${what} ${value}, expected at least ${min}`;
  if (max !== undefined && value > max) return `${what} ${value}, expected at most ${max}`;
  return null;
}

function describeHpa(h: V2HorizontalPodAutoscaler): string {
  const ref = h.spec?.scaleTargetRef;
  return `HPA ${h.metadata?.name} → ${ref?.kind}/${ref?.name}: min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas}, current ${h.status?.currentReplicas ?? 0}, desired ${h.status?.desiredReplicas ?? 0}`;
}

/**
 * `hpa`: a HorizontalPodAutoscaler for `workload` (its scale target, or the HPA's own
 * name) exists and its replica bounds are as given; `enabled: false` asserts that none exists.
 */
export function hpaProbe(spec: ProbeSpec): Probe {
  const p = spec.params as { workload: string; enabled?: boolean; minReplicas?: number; maxReplicas?: number; currentReplicas?: Bound };
  return kubeProbe(spec, async (kube, ctx) => {
    const namespace = probeNamespace(kube, spec.params);
    const autoscaling = kube.kc.makeApiClient(AutoscalingV2Api);
    const all = (await bounded(autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }), ctx.signal)).items;
    const found = all.filter((h) => h.spec?.scaleTargetRef?.name === p.workload || h.metadata?.name === p.workload);
    if (p.enabled === false) {
      return found.length === 0
        ? { ok: true, detail: `no HPA for ${namespace}/${p.workload}` }
        : { ok: false, detail: `${found.map(describeHpa).join('; ')}; expected none` };
    }
    const h = found[0];
    if (!h) return { ok: false, detail: `no HPA for ${namespace}/${p.workload}` };
    const problems = [
      boundProblem('minReplicas', h.spec?.minReplicas ?? 1, p.minReplicas),
      boundProblem('maxReplicas', h.spec?.maxReplicas ?? 0, p.maxReplicas),
      boundProblem('currentReplicas', h.status?.currentReplicas ?? 0, p.currentReplicas),
    ].filter(Boolean);
    return { ok: problems.length === 0, detail: `${describeHpa(h)}${problems.length ? `; ${problems.join('; ')}` : ''}` };
  });
}
