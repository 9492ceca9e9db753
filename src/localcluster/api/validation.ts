/**
 * The API server's validation entry points: every problem of an object, by resource (see
 * object-validation.ts for the field paths and wording; each other API group has its own file).
 */
import { aggregate } from '../../kube/index.js';
import { LEASES, validateLease } from './lease.js';
import { validateNetworkPolicy } from './network-policy.js';
import {
  asObj, immutableSelector, invalid, validateConfigMap, validateDeployment, validateMetadata, validatePodSpec, validatePodUpdate, validateReplicatedSpec, validateService,
} from './object-validation.js';
import { validatePodDisruptionBudget } from './pdb-validation.js';
import type { ResourceType } from './resources.js';
import { ApiError, type KObject, type StatusCause } from './types.js';
import { validateHorizontalPodAutoscaler, validateJob } from './workload-validation.js';

function specCauses(resourceKey: string, obj: KObject, old: KObject | undefined): StatusCause[] {
  const [spec, oldSpec] = [asObj(obj.spec) ?? {}, asObj(old?.spec) ?? {}];
  switch (resourceKey) {
    case 'pods':
      return [...validatePodSpec(obj.spec, 'spec'), ...(old ? validatePodUpdate(obj, old) : [])];
    case 'apps/deployments':
      return [...validateDeployment(spec), ...(old ? immutableSelector(spec, oldSpec) : [])];
    case 'apps/replicasets':
      return [...validateReplicatedSpec(spec), ...(old ? immutableSelector(spec, oldSpec) : [])];
    case 'services': {
      // An update without clusterIP keeps the allocated one (the registry copies it over), so only a change counts.
      const changedIP = old && oldSpec.clusterIP && spec.clusterIP && spec.clusterIP !== oldSpec.clusterIP && spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName';
      return [...validateService(spec), ...(changedIP ? [invalid('spec.clusterIP', spec.clusterIP, 'field is immutable')] : [])];
    }
    case 'configmaps':
      return validateConfigMap(obj);
    case 'networking.k8s.io/networkpolicies':
      return validateNetworkPolicy(obj);
    case 'batch/jobs':
      return validateJob(obj, old);
    case 'autoscaling/horizontalpodautoscalers':
      return validateHorizontalPodAutoscaler(obj);
    case 'policy/poddisruptionbudgets':
      return validatePodDisruptionBudget(obj);
    case LEASES:
      return validateLease(obj);
    default:
      return [];
  }
}

/** Every problem of `obj` (and of its change from `old` on update), as Status causes. */
export function validateObject(resourceKey: string, obj: KObject, old?: KObject): StatusCause[] {
  return [...validateMetadata(resourceKey, asObj(obj.metadata) ?? {}), ...specCauses(resourceKey, obj, old)];
}

/** Throws the 422 Invalid the real API answers with, e.g. `Deployment.apps "web" is invalid: [a: ..., b: ...]`. */
export function assertValid(resource: ResourceType, obj: KObject, old?: KObject): void {
  const causes = validateObject(resource.key, obj, old);
  if (causes.length === 0) return;
  const qualifiedKind = resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
  const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
  const message = `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${aggregate(causes.map((c) => `${c.field}: ${c.message}`))}`;
  throw new ApiError(422, 'Invalid', message, { name, group: resource.group, kind: resource.kind, causes });
}
