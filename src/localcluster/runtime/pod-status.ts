import type { KObject } from '../api/index.js';
import { parseQuantity } from '../../core/index.js';

/** The pieces of a Pod `status` the kubelet owns, computed as it computes them. */

export interface ContainerStateWaiting { waiting: { reason: string; message?: string } }
export interface ContainerStateRunning { running: { startedAt: string } }
export interface ContainerStateTerminated {
  terminated: {
    exitCode: number; signal?: number; reason: string; message?: string;
    startedAt?: string; finishedAt: string; containerID?: string;
  };
}
export type ContainerState = ContainerStateWaiting | ContainerStateRunning | ContainerStateTerminated;

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** RFC 3339 to the second, as `metav1.Time` serializes. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether a container has terminated, now or before its current wait (a crashed one being restarted). */
function hasTerminated(s: ContainerStatus): boolean {
  return 'terminated' in s.state || 'terminated' in s.lastState;
}

/**
 * The pod phase from its container statuses: the kubelet's `getPhase`, minus static pods. `terminal` is
 * true once the pod is being torn down, so its containers will not be restarted whatever the policy says.
 */
export function podPhase(spec: any, init: ContainerStatus[], regular: ContainerStatus[], terminal: boolean): PodPhase {
  const restartPolicy = spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    const isSidecar = (spec?.initContainers ?? []).some((c: any) => c.name === s.name && c.restartPolicy === 'Always');
    if (isSidecar) continue;
    if ('terminated' in s.state) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if ('waiting' in s.state && 'terminated' in s.lastState) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else {
      pendingInit++;
    }
  }
  pendingInit += Math.max(0, (spec?.initContainers ?? []).filter((c: any) => c.restartPolicy !== 'Always').length - init.length);
  const count = { running: 0, waiting: 0, stopped: 0, succeeded: 0 };
  for (const s of regular) {
    if ('running' in s.state) count.running++;
    else if ('terminated' in s.state) {
      count.stopped++;
      if (s.state.terminated.exitCode === 0) count.succeeded++;
    } else if (hasTerminated(s)) count.stopped++;
    else count.waiting++;
  }
  const unknown = (spec?.containers ?? []).length - regular.length;
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  const anyStarted = regular.some((s) => !('waiting' in s.state) || hasTerminated(s));
  if ((pendingInit > 0 && !anyStarted) || count.waiting > 0) return 'Pending';
  if (count.running > 0 && unknown === 0) return 'Running';
  if (count.running === 0 && count.stopped > 0 && unknown === 0) {
    if (terminal) return count.stopped === count.succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (count.stopped === count.succeeded) return 'Succeeded';
    return restartPolicy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}

/** Sum of a resource over containers, counting only positive quantities, as the QoS computation does. */
function addResources(into: Map<string, number>, list: Record<string, unknown> | undefined): Set<string> {
  const found = new Set<string>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const value = parseQuantity(raw) ?? 0;
    if ((name !== 'cpu' && name !== 'memory') || value <= 0) continue;
    found.add(name);
    into.set(name, (into.get(name) ?? 0) + value);
  }
  return found;
}

/** The pod's QoS class (Kubernetes' `ComputePodQOS`), requests defaulting to limits as the API server does. */
export function qosClass(spec: any): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    const containerLimits = c.resources?.limits ?? {};
    addResources(requests, { ...containerLimits, ...(c.resources?.requests ?? {}) });
    const found = addResources(limits, containerLimits);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  for (const [name, value] of requests) if (limits.get(name) !== value) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Condition statuses for the pod; the caller keeps `lastTransitionTime` from the previous report. */
export function podConditions(
  pod: KObject, phase: PodPhase, init: ContainerStatus[], all: ContainerStatus[], initialized: boolean, terminal: boolean,
): Array<Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>> {
  const completed = phase === 'Succeeded';
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name));
  const complete = (s: ContainerStatus) => (sidecars.has(s.name) ? s.started : 'terminated' in s.state && s.state.terminated.exitCode === 0);
  const incomplete = init.filter((s) => !complete(s)).map((s) => s.name);
  const unready = all.filter((s) => !s.ready).map((s) => s.name);
  const gates = (pod.spec?.readinessGates ?? []).map((g: any) => String(g.conditionType));
  const existing: any[] = pod.status?.conditions ?? [];
  const gatesMissing = gates.filter((t: string) => existing.find((c) => c.type === t)?.status !== 'True');
  const notReady = (reason: string, names: string[]) => ({ status: 'False' as const, reason, message: `containers with unready status: [${names.join(' ')}]` });
  const containersReady = completed ? { status: 'False' as const, reason: 'PodCompleted' }
    : unready.length > 0 ? notReady('ContainersNotReady', unready) : { status: 'True' as const };
  const ready = containersReady.status !== 'True' ? containersReady
    : gatesMissing.length > 0
      ? { status: 'False' as const, reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${gatesMissing[0]}" does not exist.` }
      : containersReady;
  const initCondition = completed ? { status: 'True' as const, reason: 'PodCompleted' }
    : initialized ? { status: 'True' as const }
      : { status: 'False' as const, reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
  return [
    { type: 'PodReadyToStartContainers', status: terminal || phase === 'Succeeded' || phase === 'Failed' ? 'False' : 'True' },
    { type: 'Initialized', ...initCondition },
    { type: 'Ready', ...ready },
    { type: 'ContainersReady', ...containersReady },
  ];
}
