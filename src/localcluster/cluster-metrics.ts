import { CpuSampler, type ControllerManagerOptions } from './controllers/index.js';
import type { NodeAgent } from './node/index.js';
import type { Store } from './store/index.js';

/**
 * The cluster's metrics-server: samples the CPU time of the pods the kubelets run. It reads /proc for every
 * pod, so it only samples while some HorizontalPodAutoscaler exists to read the result.
 */
export function clusterCpuSampler(store: Store, nodes: readonly NodeAgent[], resolutionMs: number | undefined): CpuSampler {
  const cpuTimes = (): Map<string, number> => {
    const times = new Map<string, number>();
    if (store.snapshot('autoscaling/horizontalpodautoscalers').length === 0) return times;
    for (const pod of store.snapshot('pods', undefined, (p) => Boolean(p.spec?.nodeName) && p.status?.phase === 'Running')) {
      const node = nodes.find((n) => n.name === pod.spec!.nodeName);
      const ms = node?.cpuTimeMs(pod.metadata.uid!);
      if (ms !== undefined) times.set(pod.metadata.uid!, ms);
    }
    return times;
  };
  return new CpuSampler({ cpuTimes, now: store.now, ...(resolutionMs ? { resolutionMs } : {}) });
}

/** The Job and HPA controllers' settings from the cluster's options. */
export function workloadControllerOptions(
  opts: { hpaSyncPeriodMs?: number; hpaDownscaleStabilizationMs?: number; jobBackoffMs?: number },
  metrics: CpuSampler,
): Pick<ControllerManagerOptions, 'job' | 'horizontalPodAutoscaler'> {
  return {
    job: { ...(opts.jobBackoffMs !== undefined ? { podFailureBackoffMs: opts.jobBackoffMs } : {}) },
    horizontalPodAutoscaler: {
      metrics,
      ...(opts.hpaSyncPeriodMs ? { syncPeriodMs: opts.hpaSyncPeriodMs } : {}),
      ...(opts.hpaDownscaleStabilizationMs !== undefined ? { downscaleStabilizationMs: opts.hpaDownscaleStabilizationMs } : {}),
    },
  };
}
