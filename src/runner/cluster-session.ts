import path from 'node:path';
import type { Logger } from 'pino';
import { parseDuration, UsageError } from '../core/index.js';
import { kubeClients, serviceUrl, type KubeClients } from '../kube/index.js';
import { embeddedCluster } from '../localcluster/index.js';
import { DATA_PLANE_SETTINGS, dataPlaneOptions, isDataPlaneSetting, type Plan } from '../plan/index.js';
import { defaultControlPlane, type NodeTimings } from '../vocabulary/index.js';

/** The cluster a run acts on: the embedded one started for the run, or one reached by kubeconfig. */
export interface ClusterSession {
  /** `embedded cluster (3 nodes, real control plane (auto))` or the kubeconfig server, for the report's environment. */
  description: string;
  kubeconfig: string | undefined;
  /** a cluster reached by kubeconfig (it outlives the run: the journal goes there too), not the embedded one of the run */
  external: boolean;
  /** the kubeconfig context in use */
  context: string | undefined;
  /** client-node clients of this cluster: the one code path faults and probes act through */
  kube: KubeClients;
  /** The URL at which this machine reaches a Service port. */
  serviceUrl(namespace: string, name: string, port?: string): Promise<string>;
  /** the embedded cluster's control plane and why (`auto` that fell back says why); absent on a kubeconfig cluster */
  controlPlane?: string;
  /** the embedded cluster's node-failure detection, which cases may change (`clusterSettings:`); absent on a kubeconfig cluster */
  nodeTimings?: NodeTimingControl;
  close(): Promise<void>;
}

/** Node-failure detection of the embedded cluster, changed while it runs (LocalCluster.setNodeTimings). */
export interface NodeTimingControl {
  /** the timings the cluster was started with: the plan's */
  readonly plan: NodeTimings;
  /**
   * `partial` over the timings in effect; resolves to the timings now in effect (on the real control
   * plane after kube-controller-manager restarted with them). Rejects with a UsageError on inconsistent timings.
   */
  set(partial: Partial<NodeTimings>): Promise<NodeTimings>;
}

const SETTINGS = ['availableTimeout', 'restartBackoff', 'restartBackoffMax', 'heartbeat', 'nodeMonitorGracePeriod', 'nodeMonitorPeriod', 'defaultTolerationSeconds',
  'hpaSyncPeriod', 'hpaDownscaleStabilization', 'metricsResolution', 'jobBackoff'] as const;

/** The on/off settings (`true`/`false` in the plan), apart from the durations above. */
const FLAGS = ['networkPolicyCutEstablished', 'networkPolicyEnforced'] as const;

export interface ClusterProgress {
  (message: string): void;
}

/**
 * Opens the plan's cluster. `cluster.local` starts the embedded cluster in this process (state and
 * kubeconfig in the run folder), applies the manifests and waits until their deployments are available;
 * it is stopped by close(), pods and all. A kubeconfig cluster is only connected to.
 */
export async function openCluster(plan: Plan, runDir: string, log: Logger, signal: AbortSignal, progress: ClusterProgress): Promise<ClusterSession | undefined> {
  const doc = plan.cluster;
  if (!doc) return undefined;
  if (!doc.local) {
    const kubeconfig = doc.kubeconfig ? path.resolve(path.dirname(plan.file), doc.kubeconfig) : undefined;
    const k = kubeClients({ kubeconfig, context: doc.context });
    return { description: k.server, kubeconfig, external: true, context: k.kc.getCurrentContext() || undefined, kube: k, serviceUrl: (ns, name, port) => serviceUrl(k, ns, name, port), close: async () => undefined };
  }
  const local = doc.local;
  const settings = localSettings(local.settings ?? {}, plan.display);
  const nodes = local.nodes ?? 3;
  const cluster = await embeddedCluster(embeddedOptions(plan, local, { runDir, log, progress, nodes, settings }));
  const kubeconfig = path.join(runDir, 'kubeconfig');
  try {
    progress(`starting the embedded cluster (${nodes} nodes, ${cluster.controlPlaneNote})…`);
    await cluster.start();
    await cluster.writeKubeconfig(kubeconfig);
    const files = (local.manifests ?? []).map((m) => path.resolve(path.dirname(plan.file), m));
    if (files.length) {
      const applied = await cluster.applyFiles(files);
      progress(`applied ${applied.length} objects; waiting for deployments to be available…`);
      await cluster.waitUntilAvailable({ timeoutMs: settings.availableTimeout ?? 180_000, signal });
    }
    progress(`embedded cluster ready: kubectl --kubeconfig ${path.relative(process.cwd(), kubeconfig)} get pods -A`);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const k: KubeClients = kubeClients({ kubeconfig });
  return {
    // which control plane is part of what was tested: say it, and why when auto fell back to builtin
    description: `embedded cluster (${nodes} node${nodes === 1 ? '' : 's'}, ${cluster.controlPlaneNote})`,
    controlPlane: cluster.controlPlaneNote,
    kubeconfig,
    external: false,
    context: k.kc.getCurrentContext(),
    kube: k,
    serviceUrl: (ns, name, port) => serviceUrl(k, ns, name, port),
    nodeTimings: { plan: cluster.nodeTimings, set: (partial) => cluster.setNodeTimings(partial) },
    close: () => cluster.stop(),
  };
}

/**
 * The embedded cluster's options from the plan's `cluster.local`: only the settings the plan gives
 * (an option left out keeps the cluster's default; one given as undefined would not).
 */
function embeddedOptions(
  plan: Plan,
  local: NonNullable<NonNullable<Plan['cluster']>['local']>,
  o: { runDir: string; log: Logger; progress: ClusterProgress; nodes: number; settings: ReturnType<typeof localSettings> },
): Parameters<typeof embeddedCluster>[0] {
  const { settings, runDir, log, nodes } = o;
  const flags = flagSettings(local.settings ?? {}, plan.display);
  return {
    controlPlane: local.controlPlane ?? defaultControlPlane(), onProgress: o.progress,
    // an etcd member can be lost without the quorum only among three
    ...(hasEtcdFault(plan) ? { etcdMembers: 3 as const } : {}),
    nodes, stateDir: path.join(runDir, 'cluster'), keepState: true, log: log.child({ component: 'embedded-cluster' }),
    ...(settings.heartbeat ? { heartbeatMs: settings.heartbeat } : {}),
    ...(settings.nodeMonitorGracePeriod ? { nodeMonitorGracePeriodMs: settings.nodeMonitorGracePeriod } : {}),
    ...(settings.nodeMonitorPeriod ? { nodeMonitorPeriodMs: settings.nodeMonitorPeriod } : {}),
    // a duration like the others (300s, 5m) or a bare number of seconds, as the Kubernetes flag takes
    ...(settings.defaultTolerationSeconds !== undefined ? { defaultTolerationSeconds: settings.defaultTolerationSeconds / 1000 } : {}),
    ...(flags.networkPolicyCutEstablished !== undefined ? { networkPolicyCutEstablished: flags.networkPolicyCutEstablished } : {}),
    ...(flags.networkPolicyEnforced !== undefined ? { networkPolicyEnforced: flags.networkPolicyEnforced } : {}),
    ...(settings.hpaSyncPeriod ? { hpaSyncPeriodMs: settings.hpaSyncPeriod } : {}),
    ...(settings.hpaDownscaleStabilization !== undefined ? { hpaDownscaleStabilizationMs: settings.hpaDownscaleStabilization } : {}),
    ...(settings.metricsResolution ? { metricsResolutionMs: settings.metricsResolution } : {}),
    ...(settings.jobBackoff !== undefined ? { jobBackoffMs: settings.jobBackoff } : {}),
    ...(settings.restartBackoff ? { backoff: { initialMs: settings.restartBackoff, maxMs: settings.restartBackoffMax ?? 300_000 } } : {}),
    ...dataPlaneOptions(local.settings ?? {}, plan.display),
  };
}

/** Whether a case of the plan stops etcd members (control-plane etcd-member or etcd-quorum). */
export function hasEtcdFault(plan: Plan): boolean {
  return plan.cases.some((c) => c.trigger.some((a) => a.kind === 'control-plane' && a.params.component.startsWith('etcd')));
}

function localSettings(raw: Record<string, unknown>, where: string): Partial<Record<(typeof SETTINGS)[number], number>> {
  const out: Partial<Record<(typeof SETTINGS)[number], number>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if ((FLAGS as readonly string[]).includes(key) || isDataPlaneSetting(key)) continue;
    if (!(SETTINGS as readonly string[]).includes(key)) {
      throw new UsageError(`${where}: cluster.local.settings.${key} is not a setting of the embedded cluster`, { hint: `settings: ${SETTINGS.join(', ')} (durations such as 30s); ${FLAGS.join(', ')} (true or false); ${Object.keys(DATA_PLANE_SETTINGS).join(', ')}` });
    }
    try {
      out[key as (typeof SETTINGS)[number]] = key === 'defaultTolerationSeconds' && typeof value === 'number' ? value * 1000 : parseDuration(value as string);
    } catch {
      throw new UsageError(`${where}: cluster.local.settings.${key} must be a duration such as 30s, not ${JSON.stringify(value)}`);
    }
  }
  return out;
}

function flagSettings(raw: Record<string, unknown>, where: string): Partial<Record<(typeof FLAGS)[number], boolean>> {
  const out: Partial<Record<(typeof FLAGS)[number], boolean>> = {};
  for (const key of FLAGS) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new UsageError(`${where}: cluster.local.settings.${key} must be true or false, not ${JSON.stringify(value)}`);
    out[key] = value;
  }
  return out;
}
