import { copyFile } from 'node:fs/promises';
import { EnvironmentError, errorMessage } from '../core/index.js';
import { writeEmbeddedKubeconfig } from '../kube/index.js';
import type { AppliedObject, AvailabilityOptions } from './store/index.js';
import { cniProfile, LocalCluster, type LocalClusterOptions } from './cluster.js';
import { installKubernetes } from './install/index.js';
import { netnsSupport } from './netns/index.js';
import { defaultControlPlane, type ControlPlaneChoice, type ControlPlaneKind, type NodeTimings } from '../vocabulary/index.js';
import { nftUnavailable, RealCluster } from './real/index.js';

export { CONTROL_PLANE_CHOICES, type ControlPlaneChoice, type ControlPlaneKind } from '../vocabulary/index.js';

/** What every part of crt uses of an embedded cluster, whichever control plane it runs. */
export interface EmbeddedCluster {
  readonly controlPlane: ControlPlaneKind;
  /** Why this control plane (`auto` that fell back to builtin says why), for the run's report and `crt cluster status`. */
  readonly controlPlaneNote: string;
  start(): Promise<string>;
  readonly url: string;
  /** Writes a kubeconfig for this cluster (the admin's, for the real control plane). */
  writeKubeconfig(file: string): Promise<void>;
  /** Where crt's node power and link switches answer (`<base>/crt/v1/nodes/<node>/power`). */
  readonly switchBase: string;
  applyFiles(files: string[]): Promise<AppliedObject[]>;
  waitUntilAvailable(opts: AvailabilityOptions): Promise<void>;
  serviceAddress(namespace: string, name: string, port?: number | string): Promise<{ host: string; port: number; nodePort?: number } | undefined>;
  readonly nodeTimings: NodeTimings;
  /** New node-failure detection while it runs (builtin: at once; real: restarts kube-controller-manager). */
  setNodeTimings(partial: Partial<NodeTimings>): Promise<NodeTimings>;
  pids(): number[];
  stop(graceCapSec?: number): Promise<void>;
}

export type EmbeddedClusterOptions = LocalClusterOptions & {
  controlPlane?: ControlPlaneChoice;
  /** the real control plane's etcd members (default 1; 3 for control-plane faults on etcd) */
  etcdMembers?: 1 | 3;
  /** progress lines for a person waiting (the real control plane's start, a first build of its binaries) */
  onProgress?: (line: string) => void;
};

/**
 * Where the real control plane cannot run here, and why (undefined when it can): the binaries are not
 * in crt's cache (nothing is built or downloaded for `auto`), network namespaces cannot be made, or
 * nftables is missing.
 */
export async function realControlPlaneUnavailable(): Promise<string | undefined> {
  const support = await netnsSupport();
  if (!support.ok) return support.why;
  // without nftables NetworkPolicies would go unenforced: kinder than a real cluster
  const nft = await nftUnavailable();
  if (nft) return `${nft} (NetworkPolicy enforcement)`;
  try {
    await installKubernetes({ download: false, go: null });
  } catch (err) {
    return `the Kubernetes binaries are not installed (crt cluster install): ${errorMessage(err).split('\n')[0]}`;
  }
  return undefined;
}

/**
 * The embedded cluster on the control plane asked for (`auto`: the real one when it can run here);
 * unasked, CRT_CONTROL_PLANE's, else `auto`.
 */
export async function embeddedCluster(opts: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const { controlPlane = defaultControlPlane(), onProgress, etcdMembers, ...rest } = opts;
  let note = controlPlane === 'kubernetes' ? 'real control plane (asked for)' : 'builtin control plane';
  let kind: ControlPlaneKind = controlPlane === 'kubernetes' ? 'kubernetes' : 'builtin';
  if (controlPlane === 'auto') {
    const why = await realControlPlaneUnavailable();
    kind = why ? 'builtin' : 'kubernetes';
    note = why ? `builtin control plane (auto: ${why})` : 'real control plane (auto)';
  }
  if (kind === 'builtin') return new BuiltinEmbedded(new LocalCluster(rest), note);
  if (rest.port) throw new EnvironmentError('--port is for the builtin control plane', { hint: 'the real control plane is reached through a loopback forward on a free port' });
  return new RealEmbedded(new RealCluster({
    stateDir: rest.stateDir,
    ...(rest.nodes !== undefined ? { nodes: rest.nodes } : {}),
    ...(rest.keepState ? { keepState: true } : {}),
    ...(rest.log ? { log: rest.log } : {}),
    ...(rest.heartbeatMs !== undefined ? { heartbeatMs: rest.heartbeatMs } : {}),
    ...(rest.nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs: rest.nodeMonitorGracePeriodMs } : {}),
    ...(rest.nodeMonitorPeriodMs !== undefined ? { nodeMonitorPeriodMs: rest.nodeMonitorPeriodMs } : {}),
    ...(rest.defaultTolerationSeconds !== undefined ? { defaultTolerationSeconds: rest.defaultTolerationSeconds } : {}),
    ...(rest.hpaSyncPeriodMs !== undefined ? { hpaSyncPeriodMs: rest.hpaSyncPeriodMs } : {}),
    ...(rest.hpaDownscaleStabilizationMs !== undefined ? { hpaDownscaleStabilizationMs: rest.hpaDownscaleStabilizationMs } : {}),
    ...(rest.metricsResolutionMs !== undefined ? { metricsResolutionMs: rest.metricsResolutionMs } : {}),
    ...(rest.backoff ? { backoff: rest.backoff } : {}),
    cni: cniProfile(rest),
    ...(onProgress ? { onProgress } : {}),
    ...(etcdMembers ? { etcdMembers } : {}),
  }), note);
}

class BuiltinEmbedded implements EmbeddedCluster {
  readonly controlPlane = 'builtin' as const;
  constructor(readonly cluster: LocalCluster, readonly controlPlaneNote: string) {}
  start(): Promise<string> { return this.cluster.start(); }
  get url(): string { return this.cluster.url; }
  get switchBase(): string { return this.cluster.url; }
  writeKubeconfig(file: string): Promise<void> { return writeEmbeddedKubeconfig(file, this.cluster.url); }
  applyFiles(files: string[]): Promise<AppliedObject[]> { return this.cluster.applyFiles(files); }
  waitUntilAvailable(opts: AvailabilityOptions): Promise<void> { return this.cluster.waitUntilAvailable(opts); }
  serviceAddress(namespace: string, name: string, port?: number | string) { return this.cluster.serviceAddress(namespace, name, port); }
  get nodeTimings(): NodeTimings { return this.cluster.nodeTimings; }
  async setNodeTimings(partial: Partial<NodeTimings>): Promise<NodeTimings> { return this.cluster.setNodeTimings(partial); }
  pids(): number[] { return this.cluster.pids(); }
  stop(graceCapSec?: number): Promise<void> { return this.cluster.stop(graceCapSec); }
}

class RealEmbedded implements EmbeddedCluster {
  readonly controlPlane = 'kubernetes' as const;
  constructor(readonly cluster: RealCluster, readonly controlPlaneNote: string) {}
  start(): Promise<string> { return this.cluster.start(); }
  get url(): string { return this.cluster.url; }
  get switchBase(): string { return this.cluster.switchBase; }
  async writeKubeconfig(file: string): Promise<void> {
    await copyFile(this.cluster.kubeconfig, file);
  }
  applyFiles(files: string[]): Promise<AppliedObject[]> { return this.cluster.applyFiles(files); }
  waitUntilAvailable(opts: AvailabilityOptions): Promise<void> { return this.cluster.waitUntilAvailable(opts); }
  serviceAddress(namespace: string, name: string, port?: number | string) { return this.cluster.serviceAddress(namespace, name, port); }
  get nodeTimings(): NodeTimings { return this.cluster.nodeTimings; }
  setNodeTimings(partial: Partial<NodeTimings>): Promise<NodeTimings> { return this.cluster.setNodeTimings(partial); }
  pids(): number[] { return [...this.cluster.pids(), ...this.cluster.controlPlanePids()]; }
  stop(graceCapSec?: number): Promise<void> { return this.cluster.stop(graceCapSec); }
}
