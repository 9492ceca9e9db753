import { expect } from 'chai';
import { newScalingHistory, normalizeWithBehavior, recordScale, type NormalizeArgs, type ScalingRules } from '../../../../src/localcluster/controllers/hpa-behavior.js';
import { MetricsError, replicasForCpuUtilization, type PodCpuSample } from '../../../../src/localcluster/controllers/hpa-replicas.js';

const ready = (usageMilli: number | undefined, requestMilli = 100): PodCpuSample => ({ ready: true, usageMilli, requestMilli });
const scaleUp: ScalingRules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
const scaleDown = (windowSec: number): ScalingRules => ({ stabilizationWindowSeconds: windowSec, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
const T0 = 1_000_000;
const args = (current: number, desired: number, nowMs: number, extra: Partial<NormalizeArgs> = {}): NormalizeArgs => ({
  current, desired, minReplicas: 1, maxReplicas: 100, scaleUp, scaleDown: scaleDown(300), nowMs, ...extra,
});

describe('HPA replica computation (cpu utilisation)', () => {
  it('keeps the replica count when utilisation is within the 10 % tolerance of the target', () => {
    const r = replicasForCpuUtilization(3, [ready(54), ready(54), ready(54)], 50);
    expect(r).to.deep.equal({ replicas: 3, utilization: 54, averageMilli: 54 });
  });

  it('asks for ceil(ready pods × utilisation / target) outside the tolerance', () => {
    expect(replicasForCpuUtilization(2, [ready(90), ready(100)], 50).replicas).to.equal(4);
    expect(replicasForCpuUtilization(4, [ready(10), ready(10), ready(10), ready(10)], 50).replicas).to.equal(1);
  });

  it('counts pods without metrics as using their whole request when scaling down', () => {
    // alone the ready pods (10 %) ask for 1 replica; with the missing one at 100 %: 40 % of 3 pods, ceil(2.4) = 3
    const r = replicasForCpuUtilization(3, [ready(10), ready(10), ready(undefined)], 50);
    expect(r.replicas).to.equal(3);
    expect(r.utilization).to.equal(10);
  });

  it('counts unready pods as idle when scaling up', () => {
    const unready: PodCpuSample = { ready: false, usageMilli: undefined, requestMilli: 100 };
    // 2 ready at 100 % against 50 %: 4 replicas; with 2 unready at 0 %: 50 % of 4 pods, within tolerance: keep 4
    expect(replicasForCpuUtilization(4, [ready(100), ready(100), unready, unready], 50).replicas).to.equal(4);
    expect(replicasForCpuUtilization(3, [ready(150), ready(150), unready], 50).replicas).to.equal(6);
  });

  it('fails without metrics or without cpu requests', () => {
    expect(() => replicasForCpuUtilization(2, [ready(undefined), ready(undefined)], 50)).to.throw(MetricsError, 'did not receive metrics');
    expect(() => replicasForCpuUtilization(2, [{ ready: true, usageMilli: 10, requestMilli: undefined }], 50)).to.throw(MetricsError, 'missing request for cpu');
  });
});

describe('HPA scaling behaviour', () => {
  it('limits a scale-up to the larger of 4 pods and 100 % per 15 s', () => {
    const history = newScalingHistory();
    const up = normalizeWithBehavior(args(2, 20, T0), history);
    expect(up.replicas).to.equal(6);
    expect(up.limited).to.include({ status: true, reason: 'ScaleUpLimit' });
    recordScale(history, 2, 6, T0, 15);
    // within the same 15 s the period started at 2 replicas: still at most 6
    expect(normalizeWithBehavior(args(6, 20, T0 + 5_000), history).replicas).to.equal(6);
    // after the period, 100 % of 6 beats 4 pods
    expect(normalizeWithBehavior(args(6, 20, T0 + 16_000), history).replicas).to.equal(12);
  });

  it('clamps to maxReplicas with reason TooManyReplicas', () => {
    const r = normalizeWithBehavior(args(2, 5, T0, { maxReplicas: 3 }), newScalingHistory());
    expect(r.replicas).to.equal(3);
    expect(r.limited).to.deep.include({ status: true, reason: 'TooManyReplicas' });
  });

  it('scales down only to the highest recommendation of the stabilisation window', () => {
    const history = newScalingHistory();
    const d = (current: number, desired: number, atMs: number) => normalizeWithBehavior(args(current, desired, atMs, { scaleDown: scaleDown(3) }), history);
    expect(d(5, 5, T0).replicas).to.equal(5);
    const held = d(5, 2, T0 + 1_000);
    expect(held.replicas).to.equal(5);
    expect(held.ableToScale.reason).to.equal('ScaleDownStabilized');
    expect(d(5, 3, T0 + 2_000).replicas).to.equal(5);
    // the 5 left the 3 s window; 3 (at +2 s) is now the highest
    expect(d(5, 2, T0 + 3_500).replicas).to.equal(3);
    expect(d(3, 2, T0 + 5_500).replicas).to.equal(2);
  });

  it('does not scale below minReplicas, with reason TooFewReplicas', () => {
    const r = normalizeWithBehavior(args(4, 1, T0, { minReplicas: 2, scaleDown: scaleDown(0) }), newScalingHistory());
    expect(r.replicas).to.equal(2);
    expect(r.limited).to.deep.include({ status: true, reason: 'TooFewReplicas' });
  });

  it('holds the count when the selected policy is Disabled', () => {
    const r = normalizeWithBehavior(args(4, 1, T0, { scaleDown: { ...scaleDown(0), selectPolicy: 'Disabled' } }), newScalingHistory());
    expect(r.replicas).to.equal(4);
  });
});
