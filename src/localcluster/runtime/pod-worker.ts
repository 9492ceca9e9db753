import { mkdirSync } from 'node:fs';
import { silentLogger, systemClock, type Clock, type Logger } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import { defaultBackoff, type BackoffOptions } from './backoff.js';
import { ContainerRunner } from './container-runner.js';
import type { CommandWrap, Dialer, PodEvent, RunnerContext } from './runner-context.js';
import { containerEnv, type ConfigLookup } from './env.js';
import { podConditions, podPhase, formatTime, qosClass, type ContainerStatus, type PodCondition, type PodPhase } from './pod-status.js';
import { groupCpuTimeMs, groupUsage, type GroupUsage } from './proc.js';

/** One container's usage, by its name. */
export interface ContainerUsage extends GroupUsage {
  name: string;
}

/**
 * What a kubelet does for one pod, with local processes for containers: init containers in order, then
 * every container at once, each probed and restarted by the pod's policy; status and events go out through
 * callbacks, never to a store.
 */

export interface PodWorkerOptions {
  pod: KObject;
  /** The pod's own loopback address (127.x.y.z): `$POD_IP`, its status, what other pods dial. */
  podIP: string;
  /**
   * Where its containers listen (`$HOST`): a private address behind the pod's ingress gate, which
   * listens on the pod IP. Defaults to the pod IP (no gate).
   */
  bindIP?: string;
  hostIP: string;
  nodeName: string;
  /** The pod's folder: working directory of its containers, and `logs/<container>/<restartCount>.log`. */
  dir: string;
  /** Service variables (`<SVC>_SERVICE_HOST`...) every container gets; its own env wins. */
  serviceEnv?: Record<string, string>;
  /** ConfigMaps and Secrets for `configMapKeyRef`, `secretKeyRef` and `envFrom` (Secret values decoded). */
  lookup?: ConfigLookup;
  /** Restart and image-pull back-off; the kubelet's 10 s doubling to 300 s by default. */
  backoff?: BackoffOptions;
  /**
   * Called with the pod's whole `status` when it changed, at most one call per ~20 ms window, in order;
   * never after `kill()`, and last with the final status before `stop()` resolves.
   */
  onStatus(status: any): void;
  /** Called as each event happens (not coalesced); never after `kill()`. */
  onEvent(event: PodEvent): void;
  /**
   * The pod status the API holds from an earlier run of this pod (the node rebooted): containers start
   * again with their restartCount + 1, as the kubelet counts from the old status when the runtime lost them.
   */
  previousStatus?: any;
  clock?: Clock;
  /**
   * How long the pod stays ContainerCreating before its first container starts: what a real kubelet
   * spends on the sandbox, the CNI's setup and pulling the images (default 0). A stop meanwhile ends it.
   */
  startDelayMs?: number;
  /** The demo program for `crt.io/demo` images; see images.ts. */
  demoEntry?: string;
  /** Rewrites every program the pod spawns (containers, exec probes and hooks), e.g. into a network namespace. */
  wrap?: CommandWrap;
  /** How probes connect to the pod (default: from this process's network). */
  dial?: Dialer;
  log?: Logger;
}

/** Status changes within this window go out as one report. */
const coalesceMs = 20;
/** Condition types the kubelet owns; any other condition on the pod (PodScheduled, readiness gates) is kept. */
const kubeletConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

export class PodWorker {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly initRunners: ContainerRunner[];
  private readonly runners: ContainerRunner[];
  private readonly transitions = new Map<string, { status: string; time: string }>();
  private startTime: string | undefined;
  private initialized: boolean;
  /** Set by stop() and kill(): no container starts or restarts any more. */
  private halted = false;
  /** Set once a stop has ended every process: the pod is terminal whatever its restart policy. */
  private terminated = false;
  private dead = false;
  private finalPhase: PodPhase | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastReport = '';
  /** The latest Pod object seen: its conditions (PodScheduled, readiness gates) and qosClass are kept. */
  private pod: KObject;
  private killed: Promise<void> | undefined;
  /** Aborted by stop() and kill(): ends the start delay. */
  private readonly halt = new AbortController();

  constructor(private readonly options: PodWorkerOptions) {
    this.clock = options.clock ?? systemClock;
    this.pod = options.pod;
    this.log = (options.log ?? silentLogger).child({ pod: this.podRef });
    const spec = options.pod.spec ?? {};
    const ctx = this.runnerContext();
    const inits: any[] = spec.initContainers ?? [];
    this.initialized = inits.length === 0;
    this.initRunners = inits.map((c) => new ContainerRunner(ctx, c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', 'PodInitializing'));
    this.runners = (spec.containers ?? []).map((c: any) => new ContainerRunner(ctx, c, 'regular', inits.length > 0 ? 'PodInitializing' : 'ContainerCreating'));
  }

  /** `name_namespace(uid)`, the kubelet's name for a pod in messages. */
  get podRef(): string {
    const m = this.options.pod.metadata;
    return `${m.name ?? ''}_${m.namespace ?? 'default'}(${m.uid ?? ''})`;
  }

  /** Starts the pod's containers; reports its first status within ~20 ms. Calling it again does nothing. */
  start(): void {
    if (this.startTime !== undefined || this.halted) return;
    this.startTime = formatTime(this.clock.wallNow());
    mkdirSync(this.options.dir, { recursive: true });
    this.changed();
    this.runPod().catch((err: unknown) => this.log.error({ err }, 'pod worker failed'));
  }

  /**
   * Stops the pod as a deletion does: each running container gets its preStop hook, SIGTERM, and SIGKILL
   * after `graceSeconds` (default `spec.terminationGracePeriodSeconds`, else 30); sidecars go after the
   * other containers. Resolves when every process is gone and the final status was reported.
   */
  async stop(graceSeconds?: number): Promise<void> {
    const graceMs = (graceSeconds ?? this.options.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = this.clock.now() + graceMs;
    this.halted = true;
    this.halt.abort();
    const sidecars = this.initRunners.filter((r) => r.role === 'sidecar').reverse();
    const others = [...this.initRunners.filter((r) => r.role !== 'sidecar'), ...this.runners];
    await Promise.all(others.map((r) => r.stop(graceMs)));
    await Promise.all(sidecars.map((r) => r.stop(Math.max(0, deadline - this.clock.now()))));
    this.terminated = true;
    if (this.startTime !== undefined) this.flush();
  }

  /**
   * Every process SIGKILLed at once (the signals are sent before this returns), no hooks, nothing more
   * reported: a node losing power. `gone()` tells when the processes have exited.
   */
  kill(): void {
    this.dead = true;
    this.halted = true;
    this.halt.abort();
    clearTimeout(this.flushTimer);
    this.killed = Promise.allSettled([...this.initRunners, ...this.runners].map((r) => r.kill())).then(() => undefined);
  }

  /** Resolves once the processes running now have exited (after `kill()`, every process of the pod). */
  async gone(): Promise<void> {
    await this.killed;
    await Promise.all([...this.initRunners, ...this.runners].map((r) => r.gone()));
  }

  /**
   * Takes a newer version of the Pod for the conditions the kubelet does not own (readiness gates set by
   * a controller, PodScheduled). Its spec is not re-read: containers stay as they were started.
   */
  update(pod: KObject): void {
    this.pod = pod;
    this.changed();
  }

  /** Main process IDs of the running containers. */
  pids(): number[] {
    return [...this.initRunners, ...this.runners].map((r) => r.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** CPU time in ms used by the running containers' processes (a restarted container starts again from 0). */
  cpuTimeMs(): number {
    let total = 0;
    for (const ms of groupCpuTimeMs(new Set(this.pids())).values()) total += ms;
    return total;
  }

  /**
   * What each running container's processes use now (cumulative CPU time, resident memory): the regular
   * containers and the sidecars, as metrics-server reports a pod (init containers that run to completion
   * are not reported). A restarted container's CPU time starts again from 0.
   */
  containerUsage(): ContainerUsage[] {
    const running = [...this.initRunners.filter((r) => r.role === 'sidecar'), ...this.runners].filter((r) => r.pid !== undefined);
    const usage = groupUsage(new Set(running.map((r) => r.pid!)));
    return running.flatMap((r) => {
      const u = usage.get(r.pid!);
      return u ? [{ name: r.name, ...u }] : [];
    });
  }

  /** The pod's status as it would be reported now. */
  status(): any {
    const spec = this.options.pod.spec ?? {};
    const init = this.initRunners.map((r) => r.status());
    const regular = this.runners.map((r) => r.status()).sort((a, b) => a.name.localeCompare(b.name));
    const phase = this.phase(spec, init, regular);
    const sidecars = init.filter((s) => this.initRunners.find((r) => r.name === s.name)?.role === 'sidecar');
    const ours = podConditions(this.pod, phase, init, [...regular, ...sidecars], this.initialized, this.terminated);
    const { podIP, hostIP } = this.options;
    return {
      phase,
      conditions: this.conditions(ours),
      hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }],
      ...(this.startTime ? { startTime: this.startTime } : {}),
      ...(init.length > 0 ? { initContainerStatuses: init } : {}),
      containerStatuses: regular,
      qosClass: this.pod.status?.qosClass ?? qosClass(spec),
    };
  }

  private async runPod(): Promise<void> {
    if (!(await this.sandbox())) return;
    for (const runner of this.initRunners) {
      if (this.halted) return;
      if (runner.role === 'sidecar') {
        void runner.run();
        if (!(await runner.firstStart)) return;
      } else if ((await runner.run()) !== 'succeeded') {
        return;
      }
    }
    if (this.halted) return;
    this.initialized = true;
    this.changed();
    await Promise.all(this.runners.map((r) => r.run()));
  }

  /** Waits out the start delay; false when a stop or kill came first. */
  private async sandbox(): Promise<boolean> {
    const delayMs = this.options.startDelayMs ?? 0;
    if (delayMs <= 0) return !this.halted;
    try {
      await this.clock.sleep(delayMs, this.halt.signal);
    } catch {
      return false;
    }
    return !this.halted;
  }

  /** A pod never leaves Succeeded or Failed; one being torn down ends Failed unless all its containers succeeded. */
  private phase(spec: any, init: ContainerStatus[], regular: ContainerStatus[]): PodPhase {
    if (this.finalPhase) return this.finalPhase;
    let phase = podPhase(spec, init, regular, this.terminated);
    if (this.terminated && phase !== 'Succeeded') phase = 'Failed';
    if (phase === 'Succeeded' || phase === 'Failed') this.finalPhase = phase;
    return phase;
  }

  private conditions(ours: Array<Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>>): PodCondition[] {
    const now = formatTime(this.clock.wallNow());
    const kept: any[] = (this.pod.status?.conditions ?? []).filter((c: any) => !kubeletConditions.has(c.type));
    if (!kept.some((c) => c.type === 'PodScheduled')) {
      kept.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.startTime ?? now });
    }
    const timed = ours.map((c) => {
      const previous = this.transitions.get(c.type);
      const time = previous?.status === c.status ? previous.time : now;
      this.transitions.set(c.type, { status: c.status, time });
      return { ...c, lastProbeTime: null, lastTransitionTime: time };
    });
    return [...timed, ...kept];
  }

  private runnerContext(): RunnerContext {
    const { pod, podIP, hostIP, nodeName } = this.options;
    const base = {
      ...this.options.serviceEnv,
      POD_NAME: pod.metadata.name ?? '', POD_NAMESPACE: pod.metadata.namespace ?? 'default',
      POD_IP: podIP, NODE_NAME: nodeName, HOST: this.options.bindIP ?? podIP,
    };
    const lookup = this.options.lookup;
    return {
      pod, podIP, hostIP, dir: this.options.dir, clock: this.clock,
      backoff: this.options.backoff ?? defaultBackoff,
      ...(this.options.demoEntry ? { demoEntry: this.options.demoEntry } : {}),
      ...(this.options.wrap ? { wrap: this.options.wrap } : {}),
      ...(this.options.dial ? { dial: this.options.dial } : {}),
      podRef: this.podRef,
      graceMs: (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000,
      env: (container) => containerEnv(container, { pod, podIP, hostIP, nodeName, base, ...(lookup ? { lookup } : {}) }),
      emit: (event) => this.emit(event),
      changed: () => this.changed(),
      log: this.log,
      previousRestartCount: (name) => previousRestartCount(this.options.previousStatus, name),
    };
  }

  private emit(event: PodEvent): void {
    if (this.dead) return;
    try {
      this.options.onEvent(event);
    } catch (err) {
      this.log.warn({ err, event: event.reason }, 'onEvent callback failed');
    }
  }

  private changed(): void {
    if (this.dead || this.flushTimer !== undefined || this.startTime === undefined) return;
    this.flushTimer = setTimeout(() => this.flush(), coalesceMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dead) return;
    const status = this.status();
    const report = JSON.stringify(status);
    if (report === this.lastReport) return;
    this.lastReport = report;
    try {
      this.options.onStatus(status);
    } catch (err) {
      this.log.warn({ err }, 'onStatus callback failed');
    }
  }
}

function previousRestartCount(status: any, container: string): number | undefined {
  const all: any[] = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
  const found = all.find((s) => s.name === container);
  return typeof found?.restartCount === 'number' ? found.restartCount : undefined;
}
