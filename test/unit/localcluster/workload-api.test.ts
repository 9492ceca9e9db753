import { expect } from 'chai';
import { builtinResources, type ResourceType } from '../../../src/localcluster/api/resources.js';
import { toTable } from '../../../src/localcluster/api/tables.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { CpuSampler } from '../../../src/localcluster/controllers/pod-metrics.js';
import { Store } from '../../../src/localcluster/store/store.js';

const NOW = Date.parse('2025-03-01T10:00:00Z');
const resource = (key: string): ResourceType => builtinResources.find((r) => r.key === key)!;
const cells = (key: string, obj: Partial<KObject>): unknown[] => toTable(resource(key), [obj as KObject], { nowMs: NOW }).rows[0]!.cells;
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

const jobBody = (spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'load', namespace: 'default' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'k6', image: 'node:22', command: ['node'] }] } }, ...spec },
});

describe('Job and HPA tables', () => {
  it('prints a running Job with completions of parallelism and its duration so far', () => {
    const job = { metadata: { name: 'load', creationTimestamp: at(90) }, spec: { parallelism: 3, template: { spec: { containers: [{ name: 'k6', image: 'k6:1' }] } }, selector: { matchLabels: { a: 'b' } } }, status: { startTime: at(80), succeeded: 1 } };
    expect(cells('batch/jobs', job)).to.deep.equal(['load', 'Running', '1/1 of 3', '80s', '90s', 'k6', 'k6:1', 'a=b']);
  });

  it('prints a complete Job with its completion duration', () => {
    const job = { metadata: { name: 'load', creationTimestamp: at(90) }, spec: { completions: 5 }, status: { startTime: at(80), completionTime: at(50), succeeded: 5, conditions: [{ type: 'Complete', status: 'True' }] } };
    expect(cells('batch/jobs', job).slice(0, 4)).to.deep.equal(['load', 'Complete', '5/5', '30s']);
  });

  it('prints an HPA\'s reference, targets and replica bounds', () => {
    const hpa = {
      metadata: { name: 'web', creationTimestamp: at(10) },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] },
    };
    expect(cells('autoscaling/horizontalpodautoscalers', hpa)).to.deep.equal(['web', 'Deployment/web', 'cpu: 45%/50%', '2', 5, 3, '10s']);
    expect(cells('autoscaling/horizontalpodautoscalers', { ...hpa, status: {} })[2]).to.equal('cpu: <unknown>/50%');
  });
});

/** A store with the `default` namespace. */
function newStore(): Store {
  const store = new Store();
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return store;
}

describe('Job and HPA defaults and validation', () => {
  it('defaults a Job and generates its selector from the uid', () => {
    const job = newStore().create('batch/jobs', 'default', jobBody());
    expect(job.spec).to.include({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', manualSelector: false });
    expect(job.spec?.selector).to.deep.equal({ matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } });
    expect(job.spec?.template.metadata.labels).to.deep.equal({
      'batch.kubernetes.io/controller-uid': job.metadata.uid, 'batch.kubernetes.io/job-name': 'load', 'controller-uid': job.metadata.uid, 'job-name': 'load',
    });
  });

  it('requires completions for an Indexed Job and keeps the selector immutable', () => {
    const store = newStore();
    expect(() => store.create('batch/jobs', 'default', jobBody({ completionMode: 'Indexed', completions: null, parallelism: 2 })))
      .to.throw('spec.completions: Required value: when completion mode is Indexed');
    store.create('batch/jobs', 'default', jobBody());
    expect(() => store.mutate('batch/jobs', 'default', 'load', (d) => { d.spec.selector = { matchLabels: { x: 'y' } }; })).to.throw('spec.selector: Invalid value');
  });

  it('validates an HPA\'s replica bounds and completes a given behaviour with the defaults', () => {
    const store = newStore();
    const body = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, ...spec } });
    expect(() => store.create('autoscaling/horizontalpodautoscalers', 'default', body({ minReplicas: 3, maxReplicas: 2 })))
      .to.throw('spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`');
    const hpa = store.create('autoscaling/horizontalpodautoscalers', 'default', body({ maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } }));
    expect(hpa.spec?.minReplicas).to.equal(1);
    expect(hpa.spec?.metrics[0].resource.target).to.deep.equal({ type: 'Utilization', averageUtilization: 80 });
    expect(hpa.spec?.behavior.scaleUp).to.deep.equal({
      stabilizationWindowSeconds: 0, selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    expect(hpa.spec?.behavior.scaleDown).to.deep.equal({ stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  });
});

describe('CpuSampler', () => {
  it('reports millicores over the last window and counts a reset counter from zero', () => {
    let nowMs = 0;
    const times = new Map([['a', 1_000]]);
    const timers = { after: () => () => undefined };
    const sampler = new CpuSampler({ cpuTimes: () => new Map(times), now: () => nowMs, resolutionMs: 1_000, timers });
    sampler.start();
    expect(sampler.podCpu('a')).to.equal(undefined);
    nowMs = 1_000;
    times.set('a', 1_250);
    sampler.sample();
    expect(sampler.podCpu('a')).to.deep.equal({ millicores: 250, windowMs: 1_000, timestampMs: 1_000 });
    nowMs = 3_000;
    times.set('a', 100); // the container restarted: its new processes used 100 ms
    sampler.sample();
    expect(sampler.podCpu('a')?.millicores).to.equal(50);
    times.delete('a');
    sampler.sample();
    expect(sampler.podCpu('a')).to.equal(undefined);
    sampler.stop();
  });
});
