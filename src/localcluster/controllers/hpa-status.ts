import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, type KObject } from '../api/index.js';
import { rfc3339 } from '../store/index.js';
import type { ScalingRules } from './hpa-behavior.js';

export interface HpaCondition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** Conditions in the controller's order, keeping lastTransitionTime while a condition's status holds. */
export function mergeConditions(old: any[] | undefined, next: HpaCondition[], nowMs: number): any[] {
  const order = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];
  const merged = new Map<string, any>((old ?? []).map((c) => [c.type, c]));
  for (const c of next) {
    const prev = merged.get(c.type);
    merged.set(c.type, { ...c, lastTransitionTime: prev?.status === c.status ? prev.lastTransitionTime : rfc3339(nowMs) });
  }
  return [...merged.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

/** The spec's behaviour with the defaults filled in; an unset scale-down window is the controller's setting. */
export function scalingRules(hpa: KObject, downscaleStabilizationSec: number): { scaleUp: ScalingRules; scaleDown: ScalingRules } {
  const behavior = hpa.spec?.behavior ?? {};
  const rules = (given: any, defaults: any, window: number): ScalingRules => ({
    stabilizationWindowSeconds: Number(given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds ?? window),
    selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
    policies: Array.isArray(given?.policies) && given.policies.length > 0 ? given.policies : defaults.policies,
  });
  return {
    scaleUp: rules(behavior.scaleUp, DEFAULT_SCALE_UP, 0),
    scaleDown: rules(behavior.scaleDown, DEFAULT_SCALE_DOWN, downscaleStabilizationSec),
  };
}

/** A milli-value as a Quantity prints: `250m`, `2`. */
export function milliQuantity(milli: number): string {
  const m = Math.round(milli);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

/** The first metric the embedded cluster computes: Resource cpu with a Utilization target. */
export function cpuUtilizationTarget(hpa: KObject): number | undefined {
  const metrics: any[] = Array.isArray(hpa.spec?.metrics) ? hpa.spec.metrics : [];
  const cpu = metrics.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization');
  const target = cpu?.resource?.target?.averageUtilization;
  return typeof target === 'number' ? target : undefined;
}
