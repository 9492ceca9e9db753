/** autoscaling/v2 HPAScalingRules, defaulted. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: Array<{ type: 'Pods' | 'Percent'; value: number; periodSeconds: number }>;
}

/** What the controller remembers per HPA between syncs (in memory, as kube-controller-manager does). */
export interface ScalingHistory {
  recommendations: Array<{ replicas: number; atMs: number }>;
  scaleUps: Array<{ change: number; atMs: number }>;
  scaleDowns: Array<{ change: number; atMs: number }>;
}

export interface NormalizeArgs {
  current: number;
  /** The metrics' recommendation, before stabilisation and rate limits. */
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  nowMs: number;
}

export interface Normalized {
  replicas: number;
  /** AbleToScale's reason and message: ScaleUpStabilized / ScaleDownStabilized / ReadyForNewScale. */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited: true with ScaleUpLimit / TooManyReplicas / ScaleDownLimit / TooFewReplicas, or false. */
  limited: { status: boolean; reason: string; message: string };
}

export const newScalingHistory = (): ScalingHistory => ({ recommendations: [], scaleUps: [], scaleDowns: [] });

/** normalizeDesiredReplicasWithBehaviors: stabilisation window, then the scaling policies and min/max. */
export function normalizeWithBehavior(args: NormalizeArgs, history: ScalingHistory): Normalized {
  const stabilized = stabilize(args, history);
  const ableToScale = stabilized === args.desired
    ? { reason: 'ReadyForNewScale', message: 'recommended size matches current size' }
    : args.desired >= args.current
      ? { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  const limited = limitRate({ ...args, desired: stabilized }, history);
  return { replicas: limited.replicas, ableToScale, limited: { status: limited.replicas !== stabilized, reason: limited.reason, message: limited.message } };
}

/** Up: the lowest recommendation of the scale-up window; down: the highest of the scale-down window. */
function stabilize(args: NormalizeArgs, history: ScalingHistory): number {
  const upCutoff = args.nowMs - args.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = args.nowMs - args.scaleDown.stabilizationWindowSeconds * 1000;
  let up = args.desired;
  let down = args.desired;
  for (const rec of history.recommendations) {
    if (rec.atMs > upCutoff) up = Math.min(up, rec.replicas);
    if (rec.atMs > downCutoff) down = Math.max(down, rec.replicas);
  }
  const keepFrom = Math.min(upCutoff, downCutoff);
  history.recommendations = [...history.recommendations.filter((r) => r.atMs >= keepFrom), { replicas: args.desired, atMs: args.nowMs }];
  return Math.min(Math.max(args.current, up), down);
}

const changedSince = (events: Array<{ change: number; atMs: number }>, fromMs: number): number => events.filter((e) => e.atMs > fromMs).reduce((a, e) => a + e.change, 0);

function limitRate(args: NormalizeArgs, history: ScalingHistory): { replicas: number; reason: string; message: string } {
  const within = { replicas: args.desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  if (args.desired > args.current) {
    const limit = Math.max(args.current, policyLimit(args.current, args.scaleUp, history, args.nowMs, 'up'));
    const rateBound = args.maxReplicas > limit;
    const allowed = Math.min(args.maxReplicas, limit);
    if (args.desired <= allowed) return within;
    return rateBound
      ? { replicas: allowed, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
      : { replicas: allowed, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  }
  if (args.desired < args.current) {
    const limit = Math.min(args.current, policyLimit(args.current, args.scaleDown, history, args.nowMs, 'down'));
    const rateBound = args.minReplicas < limit;
    const allowed = Math.max(args.minReplicas, limit);
    if (args.desired >= allowed) return within;
    return rateBound
      ? { replicas: allowed, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }
      : { replicas: allowed, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  }
  return within;
}

/** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors. */
function policyLimit(current: number, rules: ScalingRules, history: ScalingHistory, nowMs: number, direction: 'up' | 'down'): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // Max picks the policy that allows the biggest change: the highest limit up, the lowest down.
  const pickHighest = (rules.selectPolicy === 'Max') === (direction === 'up');
  let result = pickHighest ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const fromMs = nowMs - p.periodSeconds * 1000;
    const periodStart = current - changedSince(history.scaleUps, fromMs) + changedSince(history.scaleDowns, fromMs);
    const proposed = direction === 'up'
      ? (p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100)))
      : (p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100)));
    result = pickHighest ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** Records a rescale for the policies' periods; events older than the longest period are dropped. */
export function recordScale(history: ScalingHistory, from: number, to: number, nowMs: number, longestPeriodSec: number): void {
  const keepFrom = nowMs - longestPeriodSec * 1000;
  history.scaleUps = history.scaleUps.filter((e) => e.atMs > keepFrom);
  history.scaleDowns = history.scaleDowns.filter((e) => e.atMs > keepFrom);
  if (to > from) history.scaleUps.push({ change: to - from, atMs: nowMs });
  if (to < from) history.scaleDowns.push({ change: from - to, atMs: nowMs });
}
