/**
 * crt's metrics-server for the real-control-plane mode: `metrics.k8s.io/v1beta1` (NodeMetrics, PodMetrics)
 * from the pods' real process CPU and memory, served through kube-apiserver's aggregation layer.
 */
export { AggregatedMetrics, type AggregatedMetricsOptions } from './aggregated-metrics.js';
export { metricsServiceDnsNames, METRICS_APISERVICE, METRICS_SERVICE } from './registration.js';
export type { UsageNode } from './resource-sampler.js';
