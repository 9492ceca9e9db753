import { AutoscalingV2Api } from '@kubernetes/client-node';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { ChangedSinceFault, FaultError, type FaultContext, type FaultDefinition, type RevertOptions, type RevertRecord } from './fault.js';
import { stepNamespace, kubeCall, mergePatch, requireKube } from './kube-common.js';
import { autoscalerRefusal, findAutoscaler } from './scale-owner.js';

/** The step's parameters, as the schema types them. */
type ScaleParams = FaultParams['scale'];

type WorkloadKind = 'deployment' | 'statefulset' | 'hpa';

/** What the workload had before: replicas for a deployment or statefulset, the bounds for an HPA. */
interface Sizes {
  replicas?: number;
  minReplicas?: number;
  maxReplicas?: number;
}

export interface ScaleRevert extends RevertRecord {
  fault: 'scale';
  namespace: string;
  kind: WorkloadKind;
  name: string;
  previous: Sizes;
  /** the sizes crt set (only those the step names); absent in records of older crt versions */
  set?: Sizes;
}

/**
 * `scale`: sets a Deployment's or StatefulSet's replicas through its scale subresource, or an
 * HPA's minReplicas/maxReplicas; the revert puts back the values read before. A workload an HPA or
 * KEDA scales is refused, naming the step: the autoscaler would overwrite the replicas within
 * seconds, so the fault would measure nothing (the step can scale the HPA's bounds instead).
 */
export const scaleFault: FaultDefinition<'scale'> = {
  namespaceRule: 'namespace',
  create(action: ActionOf<'scale'>) {
    const p = action.params;
    const [kind, name] = p.workload.split('/') as [WorkloadKind, string];
    const wanted: Sizes = pickSizes(p);
    const at = `${action.location.file}:${action.location.line}:${action.location.col} ${action.location.path}`;
    return {
      async plan(ctx: FaultContext) {
        const namespace = stepNamespace(ctx, p.namespace);
        checkFields(kind, wanted);
        const previous = await readSizes(ctx, kind, namespace, name);
        const autoscaler = await findAutoscaler(ctx, kind, namespace, name);
        if (autoscaler) {
          const { message, hint } = autoscalerRefusal(kind, namespace, name, autoscaler);
          throw new FaultError(`${at}: scale refused: ${message}`, `hint: ${hint}`);
        }
        const revert: ScaleRevert = { fault: 'scale', namespace, kind, name, previous, set: wanted };
        return {
          summary: `scale ${kind}/${name} in ${namespace} from ${describe(previous)} to ${describe({ ...previous, ...wanted })}`,
          targets: [`${kind}/${namespace}/${name}`],
          revert,
          async apply() {
            await writeSizes(ctx, kind, namespace, name, wanted);
            return { data: { previous, now: { ...previous, ...wanted } } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext, opts: RevertOptions = {}) {
    const r = record as ScaleRevert;
    if (r.set && !opts.force) {
      const now = await readSizes(ctx, r.kind, r.namespace, r.name);
      const verdict = compareSizes(r.set, r.previous, now);
      if (verdict === 'as-before') return `${r.kind}/${r.name} in ${r.namespace} already at ${describe(r.previous)}: nothing to undo`;
      if (verdict === 'changed') throw new ChangedSinceFault(`${r.kind}/${r.namespace}/${r.name}`, describe(r.set), describe(now));
    }
    await writeSizes(ctx, r.kind, r.namespace, r.name, r.previous);
    return `${r.kind}/${r.name} in ${r.namespace} back to ${describe(r.previous)}`;
  },
};

/**
 * Whether the workload is still as crt scaled it (`as-set`: revert), already back to what it was
 * (`as-before`: nothing to undo), or changed by someone since (`changed`: leave it). Only the sizes
 * crt set are compared: an HPA's bound the step left alone may move freely.
 */
export function compareSizes(set: Sizes, previous: Sizes, now: Sizes): 'as-set' | 'as-before' | 'changed' {
  const keys = (Object.keys(set) as Array<keyof Sizes>).filter((k) => set[k] !== undefined);
  if (keys.every((k) => now[k] === set[k])) return 'as-set';
  if (keys.every((k) => now[k] === previous[k])) return 'as-before';
  return 'changed';
}

function pickSizes(p: ScaleParams): Sizes {
  return {
    ...(p.replicas !== undefined ? { replicas: p.replicas } : {}),
    ...(p.minReplicas !== undefined ? { minReplicas: p.minReplicas } : {}),
    ...(p.maxReplicas !== undefined ? { maxReplicas: p.maxReplicas } : {}),
  };
}

function checkFields(kind: WorkloadKind, wanted: Sizes): void {
  if (kind === 'hpa' && wanted.replicas !== undefined) throw new FaultError('scale: an hpa takes minReplicas/maxReplicas, not replicas');
  if (kind !== 'hpa' && wanted.replicas === undefined) throw new FaultError(`scale: a ${kind} takes replicas (minReplicas/maxReplicas are for an hpa)`);
}

function describe(s: Sizes): string {
  if (s.replicas !== undefined) return `${s.replicas} replica(s)`;
  return [s.minReplicas !== undefined ? `min ${s.minReplicas}` : '', s.maxReplicas !== undefined ? `max ${s.maxReplicas}` : ''].filter(Boolean).join(', ');
}

async function readSizes(ctx: FaultContext, kind: WorkloadKind, namespace: string, name: string): Promise<Sizes> {
  const kube = requireKube(ctx, 'scale');
  const what = `read ${kind}/${name} in ${namespace}`;
  if (kind === 'hpa') {
    const hpa = await kubeCall(what, () => kube.kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name, namespace }));
    return { minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 1 };
  }
  if (kind === 'statefulset') {
    await requireStatefulSets(ctx);
    const scale = await kubeCall(what, () => kube.apps.readNamespacedStatefulSetScale({ name, namespace }));
    return { replicas: scale.spec?.replicas ?? 0 };
  }
  const scale = await kubeCall(what, () => kube.apps.readNamespacedDeploymentScale({ name, namespace }));
  return { replicas: scale.spec?.replicas ?? 0 };
}

async function writeSizes(ctx: FaultContext, kind: WorkloadKind, namespace: string, name: string, sizes: Sizes): Promise<void> {
  const kube = requireKube(ctx, 'scale');
  const what = `scale ${kind}/${name} in ${namespace}`;
  if (kind === 'hpa') {
    const api = kube.kc.makeApiClient(AutoscalingV2Api);
    await kubeCall(what, () => api.patchNamespacedHorizontalPodAutoscaler({ name, namespace, body: { spec: sizes } }, mergePatch()));
    return;
  }
  const body = { spec: { replicas: sizes.replicas } };
  if (kind === 'statefulset') await kubeCall(what, () => kube.apps.patchNamespacedStatefulSetScale({ name, namespace, body }, mergePatch()));
  else await kubeCall(what, () => kube.apps.patchNamespacedDeploymentScale({ name, namespace, body }, mergePatch()));
}

/** The embedded cluster serves no StatefulSets: say so instead of a bare 404. */
async function requireStatefulSets(ctx: FaultContext): Promise<void> {
  const kube = requireKube(ctx, 'scale');
  const list = await kubeCall('list the apps/v1 resources', () => kube.apps.getAPIResources());
  if (!list.resources.some((r) => r.name === 'statefulsets')) {
    throw new FaultError(`scale statefulset: not supported by the cluster at ${kube.server} (it serves no apps/v1 statefulsets)`);
  }
}
