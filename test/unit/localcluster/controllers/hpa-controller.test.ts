import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { HorizontalPodAutoscalerController } from '../../../../src/localcluster/controllers/hpa-controller.js';
import type { PodCpuUsage, PodMetricsSource } from '../../../../src/localcluster/controllers/pod-metrics.js';
import { rfc3339 } from '../../../../src/localcluster/store/object-names.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { deployment, events, ManualClock, newStore, settle } from './harness.js';

/** Metrics by pod name, as the test sets them. */
class FakeMetrics implements PodMetricsSource {
  readonly millicores = new Map<string, number>();
  constructor(private readonly store: Store) {}
  podCpu(uid: string): PodCpuUsage | undefined {
    const pod = this.store.snapshot('pods', 'demo', (p) => p.metadata.uid === uid)[0];
    const m = pod ? this.millicores.get(pod.metadata.name!) : undefined;
    return m === undefined ? undefined : { millicores: m, windowMs: 15_000, timestampMs: this.store.now() };
  }
}

describe('HorizontalPodAutoscalerController', () => {
  let clock: ManualClock;
  let store: Store;
  let metrics: FakeMetrics;
  let controller: HorizontalPodAutoscalerController;

  const replicas = (): number => store.peek('apps/deployments', 'demo', 'web')!.spec!.replicas;
  const hpa = (): KObject => store.peek('autoscaling/horizontalpodautoscalers', 'demo', 'web')!;
  /** Ready pods of `web` for the current replica count, each using `milli` of its 100m request. */
  const pods = (milli: number): void => {
    for (const p of store.snapshot('pods', 'demo')) store.removeNow('pods', 'demo', p.metadata.name!);
    for (let i = 0; i < replicas(); i++) {
      store.create('pods', 'demo', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'demo/app:1', resources: { requests: { cpu: '100m' } } }] },
      });
      store.mutate('pods', 'demo', `web-${i}`, (d) => {
        d.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(clock.wall) }] };
      }, { subresource: 'status' });
      metrics.millicores.set(`web-${i}`, milli);
    }
  };
  const tick = async (ms = 15_000): Promise<void> => {
    await clock.advance(ms);
    await settle();
  };

  beforeEach(async () => {
    clock = new ManualClock();
    store = newStore(clock);
    metrics = new FakeMetrics(store);
    store.create('apps/deployments', 'demo', deployment('web', 2));
    controller = new HorizontalPodAutoscalerController(store, { timers: clock, metrics, downscaleStabilizationMs: 60_000 });
    controller.start();
    pods(50);
    store.create('autoscaling/horizontalpodautoscalers', 'demo', {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
    await settle();
  });

  afterEach(() => controller.stop());

  it('reports utilisation, average value and conditions without rescaling at the target', () => {
    expect(replicas()).to.equal(2);
    expect(hpa().status).to.deep.include({
      currentReplicas: 2, desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '50m', averageUtilization: 50 } } }],
    });
    expect(hpa().status?.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)).to.deep.equal([
      'AbleToScale=True/ReadyForNewScale', 'ScalingActive=True/ValidMetricFound', 'ScalingLimited=False/DesiredWithinRange']);
  });

  it('scales up at the next sync period, by at most 4 pods or 100 %, and says why in an event', async () => {
    pods(400);
    await tick(14_000);
    expect(replicas(), 'before the sync period').to.equal(2);
    await tick(1_000);
    expect(replicas()).to.equal(6);
    expect(events(store, 'SuccessfulRescale').map((e) => e.message)).to.deep.equal(['New size: 6; reason: cpu resource utilization (percentage of request) above target']);
    expect(hpa().status?.conditions.find((c: any) => c.type === 'ScalingLimited')).to.include({ status: 'True', reason: 'ScaleUpLimit' });
    expect(hpa().status?.lastScaleTime).to.be.a('string');
  });

  it('waits for the scale-down stabilisation window before scaling down to minReplicas', async () => {
    store.mutate('apps/deployments', 'demo', 'web', (d) => { d.spec.replicas = 6; });
    pods(50);
    await tick();
    pods(5);
    await tick(45_000);
    expect(replicas(), 'inside the 60 s window').to.equal(6);
    expect(hpa().status?.conditions[0]).to.include({ reason: 'ScaleDownStabilized' });
    await tick(30_000);
    expect(replicas()).to.equal(2);
    expect(events(store, 'SuccessfulRescale').at(-1)?.message).to.equal('New size: 2; reason: All metrics below target');
  });

  it('reports ScalingActive False when the pods have no metrics', async () => {
    metrics.millicores.clear();
    await tick();
    expect(hpa().status?.conditions.find((c: any) => c.type === 'ScalingActive')).to.include({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(replicas()).to.equal(2);
  });
});
