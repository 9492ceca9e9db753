import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import { parseQuantity } from '../../core/index.js';
import { rfc3339, type Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { newScalingHistory, normalizeWithBehavior, recordScale, type ScalingHistory } from './hpa-behavior.js';
import { DEFAULT_TOLERANCE, MetricsError, replicasForCpuUtilization, type PodCpuSample } from './hpa-replicas.js';
import { cpuUtilizationTarget, mergeConditions, milliQuantity, scalingRules, type HpaCondition } from './hpa-status.js';
import { isPodActive, isPodReady, keyOf, selectorMatches, splitKey } from './objects.js';
import type { PodMetricsSource } from './pod-metrics.js';
import { QueueController } from './queue-controller.js';

const HPA = 'autoscaling/horizontalpodautoscalers';
const TARGETS: Record<string, string> = { Deployment: 'apps/deployments', ReplicaSet: 'apps/replicasets' };
const CPU_METRIC = 'cpu resource utilization (percentage of request)';
/** --horizontal-pod-autoscaler-sync-period and --horizontal-pod-autoscaler-downscale-stabilization. */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;
export const DEFAULT_HPA_DOWNSCALE_STABILIZATION_MS = 300_000;

export interface HpaControllerOptions extends ControllerOptions {
  /** Where pod CPU usage comes from (the cluster's metrics-server); without it no HPA finds metrics. */
  metrics?: PodMetricsSource;
  /** How often each HPA is reconciled (default 15 s). */
  syncPeriodMs?: number;
  /** Scale-down stabilisation window when the HPA's behaviour does not set one (default 5 min). */
  downscaleStabilizationMs?: number;
  /** Utilisation ratios within 1 ± tolerance keep the replica count (default 0.1). */
  tolerance?: number;
}

interface Decision { desired: number; reason?: string; conditions: HpaCondition[]; metrics?: unknown[]; rescaled?: boolean }

/**
 * The autoscaling/v2 HorizontalPodAutoscaler controller for Deployments and ReplicaSets on cpu utilisation:
 * every sync period, desired = ceil(ready pods × utilisation / target) outside the tolerance, stabilised and
 * rate-limited by the behaviour, clamped to min/max, written to the target's spec.replicas (its scale).
 * Only Resource cpu metrics with a Utilization target are computed; other metrics are ignored.
 */
export class HorizontalPodAutoscalerController extends QueueController {
  private readonly events: EventRecorder;
  private readonly syncPeriodMs: number;
  private readonly downscaleSec: number;
  private readonly history = new Map<string, ScalingHistory>();
  private readonly seenGeneration = new Map<string, number>();

  constructor(store: Store, private readonly opts: HpaControllerOptions = {}) {
    // No informer resync: each HPA re-queues itself every sync period, as the real controller does.
    super(store, 'horizontal-pod-autoscaler', opts, 0);
    this.events = new EventRecorder(store, { component: 'horizontal-pod-autoscaler' });
    this.syncPeriodMs = opts.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    this.downscaleSec = (opts.downscaleStabilizationMs ?? DEFAULT_HPA_DOWNSCALE_STABILIZATION_MS) / 1000;
  }

  protected watch(): Array<() => void> {
    // Status writes must not trigger extra syncs: only a new HPA or a spec change does.
    return [
      this.store.watch(HPA, undefined, {}, (e) => {
        const key = keyOf(e.object);
        if (e.type === 'DELETED') {
          this.history.delete(key);
          this.seenGeneration.delete(key);
        } else if (this.seenGeneration.get(key) !== e.object.metadata.generation) {
          this.queue.add(key);
        }
      }),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot(HPA).map(keyOf);
  }

  /** Reconciles one HPA and schedules the next sync; public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const hpa = this.store.peek(HPA, namespace, name);
    if (!hpa || hpa.metadata.deletionTimestamp) return;
    this.seenGeneration.set(key, hpa.metadata.generation ?? 1);
    this.queue.addAfter(key, this.syncPeriodMs);
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const resourceKey = TARGETS[String(ref.kind)];
    const target = resourceKey ? this.store.peek(resourceKey, namespace, String(ref.name)) : undefined;
    if (!resourceKey || !target) {
      const message = resourceKey ? `${resourceKey.split('/')[1]}.apps "${String(ref.name)}" not found` : `unrecognized resource kind ${String(ref.kind)}`;
      this.events.record(hpa, { type: 'Warning', reason: 'FailedGetScale', message });
      this.writeStatus(hpa, undefined, { desired: Number(hpa.status?.desiredReplicas ?? 0), conditions: [
        { type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${message}` }] });
      return;
    }
    const current = Number(target.spec?.replicas ?? 1);
    const decision = this.decide(hpa, target, current, key);
    if (decision.desired !== current && decision.reason) this.rescale(hpa, resourceKey, target, current, decision, key);
    this.writeStatus(hpa, current, decision);
  }

  private decide(hpa: KObject, target: KObject, current: number, key: string): Decision {
    const min = Number(hpa.spec?.minReplicas ?? 1);
    const max = Number(hpa.spec?.maxReplicas ?? 1);
    const able: HpaCondition = { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'the HPA controller was able to get the target\'s current scale' };
    if (current === 0 && min !== 0) {
      return { desired: 0, conditions: [able, { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' }] };
    }
    if (current > max) return { desired: max, reason: 'Current number of replicas above Spec.MaxReplicas', conditions: [able] };
    if (current < min) return { desired: min, reason: 'Current number of replicas below Spec.MinReplicas', conditions: [able] };
    const targetPercent = cpuUtilizationTarget(hpa);
    if (targetPercent === undefined) {
      return { desired: current, conditions: [able, { type: 'ScalingActive', status: 'False', reason: 'InvalidMetricSourceType', message: 'the HPA was unable to compute the replica count: the embedded cluster computes only cpu Utilization metrics' }] };
    }
    let result;
    try {
      result = replicasForCpuUtilization(current, this.podSamples(target), targetPercent, this.opts.tolerance ?? DEFAULT_TOLERANCE);
    } catch (err) {
      if (!(err instanceof MetricsError)) throw err;
      const message = `the HPA was unable to compute the replica count: failed to get cpu utilization: ${err.message}`;
      this.events.record(hpa, { type: 'Warning', reason: 'FailedGetResourceMetric', message: `failed to get cpu utilization: ${err.message}` });
      return { desired: current, conditions: [able, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message }] };
    }
    const history = this.history.get(key) ?? newScalingHistory();
    this.history.set(key, history);
    const normalized = normalizeWithBehavior({
      current, desired: result.replicas, minReplicas: min, maxReplicas: max, nowMs: this.store.now(), ...scalingRules(hpa, this.downscaleSec),
    }, history);
    const metrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: milliQuantity(result.averageMilli), averageUtilization: result.utilization } } }];
    return {
      desired: normalized.replicas, metrics,
      reason: normalized.replicas > current ? `${CPU_METRIC} above target` : 'All metrics below target',
      conditions: [
        { type: 'AbleToScale', status: 'True', ...normalized.ableToScale },
        { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${CPU_METRIC}` },
        { type: 'ScalingLimited', status: normalized.limited.status ? 'True' : 'False', reason: normalized.limited.reason, message: normalized.limited.message },
      ],
    };
  }

  /** Ready state, cpu requests and usage of the target's pods (deleted and finished pods are left out). */
  private podSamples(target: KObject): PodCpuSample[] {
    const pods = this.store.snapshot('pods', target.metadata.namespace, (p) => isPodActive(p) && selectorMatches(target.spec?.selector, p.metadata.labels));
    return pods.map((pod) => {
      const requests = ((pod.spec?.containers as any[] | undefined) ?? []).map((c) => parseQuantity(c.resources?.requests?.cpu));
      const requestMilli = requests.some((r) => r === undefined) ? undefined : requests.reduce((a: number, r) => a + r! * 1000, 0);
      return { ready: isPodReady(pod), requestMilli, usageMilli: this.opts.metrics?.podCpu(pod.metadata.uid!)?.millicores };
    });
  }

  private rescale(hpa: KObject, resourceKey: string, target: KObject, current: number, decision: Decision, key: string): void {
    this.store.mutate(resourceKey, target.metadata.namespace, target.metadata.name!, (draft) => {
      draft.spec = { ...(draft.spec ?? {}), replicas: decision.desired };
    });
    const history = this.history.get(key) ?? newScalingHistory();
    this.history.set(key, history);
    const { scaleUp, scaleDown } = scalingRules(hpa, this.downscaleSec);
    const longest = Math.max(0, ...[...scaleUp.policies, ...scaleDown.policies].map((p) => p.periodSeconds));
    recordScale(history, current, decision.desired, this.store.now(), longest);
    this.events.record(hpa, { type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${decision.desired}; reason: ${decision.reason}` });
    this.log.info({ hpa: key, from: current, to: decision.desired, reason: decision.reason }, 'rescaled');
    decision.conditions = decision.conditions.map((c) => (c.type === 'AbleToScale'
      ? { ...c, reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${decision.desired}` } : c));
    decision.rescaled = true;
  }

  private writeStatus(hpa: KObject, current: number | undefined, decision: Decision): void {
    const nowMs = this.store.now();
    const old = hpa.status ?? {};
    const status: Record<string, unknown> = {
      observedGeneration: hpa.metadata.generation ?? 1,
      ...(decision.rescaled ? { lastScaleTime: rfc3339(nowMs) } : old.lastScaleTime ? { lastScaleTime: old.lastScaleTime } : {}),
      currentReplicas: current ?? old.currentReplicas ?? 0,
      desiredReplicas: decision.desired,
      ...(decision.metrics ? { currentMetrics: decision.metrics } : {}),
      conditions: mergeConditions(old.conditions as any[] | undefined, decision.conditions, nowMs),
    };
    this.store.mutate(HPA, hpa.metadata.namespace, hpa.metadata.name!, (draft) => {
      if (isDeepStrictEqual(draft.status, status)) return false;
      draft.status = status;
    }, { subresource: 'status' });
  }
}
