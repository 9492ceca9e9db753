import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { EnvironmentError } from '../core/index.js';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** Jobs: the workers of a distributed load */
  batch: BatchV1Api;
  /** The server URL of the current context, for messages. */
  server: string;
}

/**
 * How a run reaches its cluster: one object, passed by reference from the run to its cases, and
 * the fields faults and probes read (FaultContext and ProbeContext extend it). Both are absent
 * when the plan has no cluster.
 */
export interface ClusterAccess {
  /** the cluster's kubeconfig file: exec faults and command probes get it as KUBECONFIG */
  kubeconfig?: string;
  /** client-node clients of the cluster: Kubernetes faults and probes act through them */
  kube?: KubeClients;
}

/**
 * The one place that builds @kubernetes/client-node clients: from a kubeconfig file (or the default
 * loading rules: $KUBECONFIG, ~/.kube/config, in-cluster), optionally switching context.
 */
export function kubeClients(opts: { kubeconfig?: string; context?: string } = {}): KubeClients {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new EnvironmentError(`cannot load kubeconfig ${opts.kubeconfig ?? '(default)'}: ${(err as Error).message}`, { hint: 'give cluster.kubeconfig in the plan, or set KUBECONFIG' });
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw new EnvironmentError(`kubeconfig context ${opts.context} not found`, { hint: `contexts: ${kc.getContexts().map((c) => c.name).join(', ') || '(none)'}` });
    }
    kc.setCurrentContext(opts.context);
  }
  const server = kc.getCurrentCluster()?.server ?? '(no cluster)';
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api), server };
}
