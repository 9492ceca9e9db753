/**
 * The embedded cluster's pod runtime: what a kubelet does for one pod, with local processes for
 * containers. Independent of the store: a PodWorker takes a Pod and reports through callbacks.
 */
export { PodWorker, type PodWorkerOptions, type ContainerUsage } from './pod-worker.js';
export { logPath } from './container-launch.js';
export type { CommandWrap, Dialer, PodEvent } from './runner-context.js';
export { resolveContainer, parseImage, imageID, defaultDemoEntry, DEMO_IMAGE, type ResolvedContainer, type ContainerFailure, type ResolveOptions } from './images.js';
export { ContainerProcess, type ContainerProcessOptions, type ProcessExit } from './container-process.js';
export { runProbe, type ProbeResult, type ProbeTarget } from './probe.js';
export { ProbeLoop, probeDefaults, type ProbeKind, type ProbeLoopOptions } from './probe-loop.js';
export { type ConfigLookup } from './env.js';
export { type BackoffOptions, defaultBackoff } from './backoff.js';
export type { ContainerStatus, ContainerState, PodCondition, PodPhase } from './pod-status.js';
export { processIds, readStat, running, type ProcStat, type GroupUsage } from './proc.js';
export { CLUSTER_MARKER_ENV, CLUSTER_OWNER_ENV, ownerAlive, ownerMark, ownerPid } from './owner.js';
export { qosClass } from './pod-status.js';
