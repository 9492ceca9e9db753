import { expect } from 'chai';
import { cpuQuantity, goDuration, memoryQuantity, metaTime, nodeMetrics, podMetrics } from '../../../../src/localcluster/metricsserver/metrics-objects.js';

describe('metrics.k8s.io objects', () => {
  it('prints CPU as resource.Quantity does: nanocores in the largest suffix with an integer mantissa', () => {
    expect([0, 1, 1500, 1_500_000, 20_000_000, 2_000_000_000, 1234567.6].map(cpuQuantity)).to.deep.equal(['0', '1n', '1500n', '1500u', '20m', '2', '1234568n']);
  });

  it('prints memory as a binary-SI quantity: Ki, Mi, Gi while the bytes divide evenly', () => {
    expect([0, 1000, 1024, 5308 * 1024, 12 * 1024 ** 2, 3 * 1024 ** 3].map(memoryQuantity)).to.deep.equal(['0', '1000', '1Ki', '5308Ki', '12Mi', '3Gi']);
  });

  it('prints a window as Go\'s time.Duration does', () => {
    expect([0, 500, 1000, 1500, 15_004, 60_000, 65_500, 3_600_000].map(goDuration)).to.deep.equal(['0s', '500ms', '1s', '1.5s', '15.004s', '1m0s', '1m5.5s', '1h0m0s']);
  });

  it('writes timestamps in whole seconds, UTC, as metav1.Time', () => {
    expect(metaTime(Date.UTC(2026, 11, 7, 18, 30, 5, 999))).to.equal('2026-12-07T18:30:05Z');
  });

  it('shapes a PodMetrics as metrics-server does: kind only when served alone, labels only when there are some', () => {
    const now = Date.UTC(2026, 0, 1);
    const sample = { namespace: 'ns', name: 'p', uid: 'u', node: 'n', labels: {}, timestampMs: now - 1000, windowMs: 15_000, containers: [{ name: 'c', cpuNanocores: 5e6, memoryBytes: 2 * 1024 ** 2 }] };
    expect(podMetrics(sample, now)).to.deep.equal({
      metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
      timestamp: '2025-12-31T23:59:59Z', window: '15s', containers: [{ name: 'c', usage: { cpu: '5m', memory: '2Mi' } }],
    });
    expect(podMetrics({ ...sample, labels: { app: 'a' } }, now, true)).to.include({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1' });
    const node = nodeMetrics({ name: 'n', timestampMs: now, windowMs: 1000, cpuNanocores: 0, memoryBytes: 0 }, { zone: 'a' }, now);
    expect(node).to.deep.equal({ metadata: { name: 'n', creationTimestamp: '2026-01-01T00:00:00Z', labels: { zone: 'a' } }, timestamp: '2026-01-01T00:00:00Z', window: '1s', usage: { cpu: '0', memory: '0' } });
  });
});
