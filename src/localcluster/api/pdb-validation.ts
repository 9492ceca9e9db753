/**
 * Validation of policy/v1 PodDisruptionBudgets with the real API server's field paths and wording
 * (`pkg/apis/policy/validation`).
 */
import type { KObject, StatusCause } from './types.js';
import { invalid, notSupported } from './object-validation.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** ValidatePositiveIntOrPercent plus IsNotMoreThan100Percent. */
function intOrPercentCauses(value: unknown, field: string): StatusCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? [] : [invalid(field, value, 'must be greater than or equal to 0')];
  const m = typeof value === 'string' ? /^([0-9]+)%$/.exec(value) : null;
  if (!m) return [invalid(field, value, "must be an integer or percentage (e.g '5%')")];
  return Number(m[1]) > 100 ? [invalid(field, value, 'must not be greater than 100%')] : [];
}

/** Every problem of a PodDisruptionBudget's spec, as Status causes. */
export function validatePodDisruptionBudget(obj: KObject): StatusCause[] {
  const spec: Record<string, any> = obj.spec ?? {};
  const causes: StatusCause[] = [];
  const set = (v: unknown): boolean => v !== undefined && v !== null;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) causes.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  causes.push(...intOrPercentCauses(spec.minAvailable, 'spec.minAvailable'), ...intOrPercentCauses(spec.maxUnavailable, 'spec.maxUnavailable'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (set(policy) && !EVICTION_POLICIES.includes(policy)) causes.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  return causes;
}
