import { AutoscalingV2Api, CustomObjectsApi, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { apiMessage, apiStatus, retryApiCall } from '../kube/index.js';
import type { FaultContext } from './fault.js';
import { requireKube } from './kube-common.js';

/** A KEDA ScaledObject as the API returns it: only what says which workload it scales. */
export interface ScaledObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { scaleTargetRef?: { name?: string; kind?: string; apiVersion?: string } };
}

/** What scales a workload besides crt: an HPA, and the KEDA ScaledObject behind it when there is one. */
export interface Autoscaler {
  hpa?: string;
  scaledObject?: string;
}

const KIND: Record<string, string> = { deployment: 'Deployment', statefulset: 'StatefulSet' };

/**
 * The autoscaler of `kind/name` among these HPAs (autoscaling/v2 `spec.scaleTargetRef`) and KEDA
 * ScaledObjects (`spec.scaleTargetRef`, kind Deployment when unset); an HPA owned by a ScaledObject
 * is KEDA's. For `hpa/<name>` the HPA itself is looked at: KEDA reconciles its bounds back.
 */
export function autoscalerOf(kind: string, name: string, hpas: V2HorizontalPodAutoscaler[], scaledObjects: ScaledObject[]): Autoscaler | null {
  const kedaOf = (hpa: V2HorizontalPodAutoscaler): string | undefined => hpa.metadata?.ownerReferences?.find((o) => o.kind === 'ScaledObject')?.name;
  if (kind === 'hpa') {
    const hpa = hpas.find((h) => h.metadata?.name === name);
    const keda = hpa && kedaOf(hpa);
    return keda ? { hpa: name, scaledObject: keda } : null;
  }
  const targetKind = KIND[kind];
  const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.kind === targetKind && h.spec?.scaleTargetRef?.name === name);
  const so = scaledObjects.find((s) => (s.spec?.scaleTargetRef?.kind ?? 'Deployment') === targetKind && s.spec?.scaleTargetRef?.name === name);
  const keda = so?.metadata?.name ?? (hpa ? kedaOf(hpa) : undefined);
  if (!hpa && !keda) return null;
  return { ...(hpa?.metadata?.name ? { hpa: hpa.metadata.name } : {}), ...(keda ? { scaledObject: keda } : {}) };
}

/** Reads the namespace's HPAs and KEDA ScaledObjects (none when KEDA is not installed) and finds the workload's. */
export async function findAutoscaler(ctx: FaultContext, kind: string, namespace: string, name: string): Promise<Autoscaler | null> {
  const kube = requireKube(ctx, 'scale');
  const retry = { clock: ctx.clock, signal: ctx.signal };
  const hpas = (await retryApiCall(() => kube.kc.makeApiClient(AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace }), retry)).items;
  let scaledObjects: ScaledObject[] = [];
  try {
    const list = await retryApiCall(() => kube.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: 'keda.sh', version: 'v1alpha1', namespace, plural: 'scaledobjects' }), retry) as { items?: ScaledObject[] };
    scaledObjects = list.items ?? [];
  } catch (err) {
    // 404: KEDA is not installed. 403: not granted; KEDA's HPAs still name their ScaledObject as owner, so only a paused one goes unseen
    if (apiStatus(err) === 403) ctx.log.warn({ err: apiMessage(err) }, 'cannot list KEDA ScaledObjects: only HPAs are checked before scaling');
    else if (apiStatus(err) !== 404) throw err;
  }
  return autoscalerOf(kind, name, hpas, scaledObjects);
}

/** Why scaling this workload would be undone at once, and what to do instead. */
export function autoscalerRefusal(kind: string, namespace: string, name: string, a: Autoscaler): { message: string; hint: string } {
  if (a.scaledObject) {
    return {
      message: `${kind}/${name} in ${namespace} is scaled by KEDA (ScaledObject ${namespace}/${a.scaledObject}${a.hpa ? `, through hpa/${a.hpa}` : ''}): it would set the replicas back within seconds`,
      hint: 'change the ScaledObject\'s minReplicaCount/maxReplicaCount (an exec step with its revertCommand), or pause it with the annotation autoscaling.keda.sh/paused-replicas',
    };
  }
  return {
    message: `${kind}/${name} in ${namespace} is scaled by hpa/${a.hpa}: it would set the replicas back within 15 s (its sync period)`,
    hint: `scale hpa/${a.hpa} with minReplicas/maxReplicas instead`,
  };
}
