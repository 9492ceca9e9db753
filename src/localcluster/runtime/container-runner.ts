import { Backoff, goDuration } from './backoff.js';
import { logPath, prepareLaunch, type Launch, type LaunchFailure } from './container-launch.js';
import { ContainerProcess, type ProcessExit } from './container-process.js';
import { imageID } from './images.js';
import { hookFailureMessage, runHook } from './lifecycle.js';
import type { ProbeTarget } from './probe.js';
import { ProbeLoop, type ProbeKind } from './probe-loop.js';
import { formatTime, type ContainerState, type ContainerStatus } from './pod-status.js';
import type { ContainerRole, PodEvent, RunnerContext, RunOutcome } from './runner-context.js';

/**
 * One container of a pod, over all its restarts: resolve what to run, start it, probe it, restart it by the
 * restart policy with the kubelet's back-off, stop it with its preStop hook. It reports through its pod
 * worker: events as they happen, `changed()` whenever its status changed.
 */

/** The kubelet shows a pull error for one sync before the back-off; this keeps it visible that long at most. */
const pullErrorHoldMs = 1000;
/** After a preStop hook used up the grace, the container still gets this long, as the kubelet gives it. */
const minimumGraceAfterHookMs = 2000;

export class ContainerRunner {
  private state: ContainerState;
  private lastState: ContainerState | Record<string, never> = {};
  private restartCount = 0;
  private ran = false;
  private ready = false;
  private started = false;
  private containerID: string | undefined;
  private proc: ContainerProcess | undefined;
  private terminating: ContainerProcess | undefined;
  private target: ProbeTarget | undefined;
  private probes: ProbeLoop[] = [];
  private stopGraceMs: number | undefined;
  private done: Promise<RunOutcome> | undefined;
  private readonly abort = new AbortController();
  private readonly crashBackoff: Backoff;
  private readonly prepBackoff: Backoff;
  private resolveFirstStart: (started: boolean) => void = () => undefined;
  /** Resolves true once the container has started (startup probe passed), false if it never will. */
  readonly firstStart = new Promise<boolean>((resolve) => (this.resolveFirstStart = resolve));

  constructor(private readonly ctx: RunnerContext, readonly container: any, readonly role: ContainerRole, initialReason: string) {
    this.state = { waiting: { reason: initialReason } };
    const previous = ctx.previousRestartCount?.(this.name);
    if (previous !== undefined) {
      this.restartCount = previous;
      this.ran = true;
    }
    this.crashBackoff = new Backoff(ctx.backoff);
    this.prepBackoff = new Backoff(ctx.backoff);
  }

  get name(): string {
    return String(this.container.name);
  }

  get pid(): number | undefined {
    return this.proc?.running ? this.proc.pid : undefined;
  }

  status(): ContainerStatus {
    const image = String(this.container.image ?? '');
    return {
      name: this.name, image, imageID: this.ran ? imageID(image) : '',
      ...(this.containerID ? { containerID: this.containerID } : {}),
      ready: this.ready, started: this.started, restartCount: this.restartCount,
      state: this.state, lastState: this.lastState,
    };
  }

  /** Runs the container until it is done for good: it completed (or failed) for its restart policy, or it was stopped. */
  run(): Promise<RunOutcome> {
    this.done ??= this.loop().finally(() => this.resolveFirstStart(false));
    return this.done;
  }

  /** preStop hook, SIGTERM, SIGKILL after what is left of `graceMs`; resolves when its processes are gone. */
  async stop(graceMs: number): Promise<void> {
    this.halt(graceMs);
    const proc = this.proc;
    if (proc?.running) {
      this.emit('Normal', 'Killing', `Stopping container ${this.name}`);
      await this.terminate(proc, graceMs);
    }
    await this.done;
    if ('waiting' in this.state) {
      this.setState({ terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: formatTime(this.ctx.clock.wallNow()) } });
    }
  }

  /** SIGKILL at once (sent before the first await), no hook; resolves when its processes are gone. */
  async kill(): Promise<void> {
    this.halt(0);
    if (this.proc) await this.proc.kill();
    await this.done;
  }

  /** Resolves when the current process, if any, has exited and its group is gone. */
  async gone(): Promise<void> {
    await this.proc?.exited;
  }

  private halt(graceMs: number): void {
    this.stopGraceMs ??= graceMs;
    this.abort.abort();
    this.stopProbes();
  }

  private get stopping(): boolean {
    return this.stopGraceMs !== undefined;
  }

  private async loop(): Promise<RunOutcome> {
    while (!this.stopping) {
      const prepared = prepareLaunch(this.container, this.ctx);
      if ('failure' in prepared) {
        await this.prepFailed(prepared.failure);
        continue;
      }
      const exit = await this.runProcess(prepared);
      if (exit === undefined || this.stopping) continue;
      if (!this.shouldRestart(exit.exitCode)) return exit.exitCode === 0 ? 'succeeded' : 'failed';
      await this.crashLoopWait(exit.finishedMono);
    }
    return 'stopped';
  }

  private shouldRestart(exitCode: number): boolean {
    if (this.role === 'sidecar') return true;
    if (this.role === 'init' && exitCode === 0) return false;
    const podPolicy = this.ctx.pod.spec?.restartPolicy ?? 'Always';
    const policy = this.role === 'init' && podPolicy === 'Always' ? 'OnFailure' : podPolicy;
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  /** A container that could not be created: report why, wait out the back-off, let the loop retry. */
  private async prepFailed(failure: LaunchFailure['failure']): Promise<void> {
    const delayMs = this.prepBackoff.next(this.ctx.clock.now());
    const image = String(this.container.image ?? '');
    this.setState({ waiting: { reason: failure.reason, message: failure.message } });
    if (failure.reason !== 'ErrImagePull') {
      this.emit('Warning', 'Failed', `Error: ${failure.message}`);
      await this.pause(delayMs);
      return;
    }
    this.emit('Normal', 'Pulling', `Pulling image "${image}"`);
    this.emit('Warning', 'Failed', failure.message);
    this.emit('Warning', 'Failed', 'Error: ErrImagePull');
    const holdMs = Math.min(delayMs / 2, pullErrorHoldMs);
    if (!(await this.pause(holdMs))) return;
    this.setState({ waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${failure.message}` } });
    this.emit('Normal', 'BackOff', `Back-off pulling image "${image}"`);
    this.emit('Warning', 'Failed', 'Error: ImagePullBackOff');
    await this.pause(delayMs - holdMs);
  }

  /** Starts one process and waits for it to end; `undefined` when it could not start. */
  private async runProcess(p: Launch): Promise<(ProcessExit & { finishedMono: number }) | undefined> {
    const { clock } = this.ctx;
    const image = String(this.container.image ?? '');
    const restartCount = this.ran ? this.restartCount + 1 : 0;
    this.emit('Normal', 'Pulled', `Container image "${image}" already present on machine`);
    this.emit('Normal', 'Created', `Created container: ${this.name}`);
    let proc: ContainerProcess;
    try {
      const command = this.ctx.wrap ? this.ctx.wrap(p.file, p.args) : p;
      proc = await ContainerProcess.start({ ...p, file: command.file, args: command.args, logFile: logPath(this.ctx.dir, this.name, restartCount), clock });
    } catch (err) {
      await this.prepFailed({ reason: 'RunContainerError', message: `failed to start container "${this.name}": ${(err as Error).message}` });
      return undefined;
    }
    this.proc = proc;
    this.ran = true;
    this.restartCount = restartCount;
    this.containerID = `crt://${proc.pid}`;
    if (this.stopGraceMs !== undefined) void proc.stop(this.stopGraceMs);
    this.target = { podIP: this.ctx.podIP, sourceIP: this.ctx.hostIP, container: this.container, env: p.env, cwd: p.cwd, ...(this.ctx.wrap ? { wrap: this.ctx.wrap } : {}), ...(this.ctx.dial ? { dial: this.ctx.dial } : {}) };
    this.started = !this.container.startupProbe;
    this.ready = this.started && !this.container.readinessProbe;
    this.setState({ running: { startedAt: formatTime(proc.startedAt) } });
    this.emit('Normal', 'Started', `Started container ${this.name}`);
    if (this.started) this.resolveFirstStart(true);
    void this.afterStart(proc, clock.now());
    const exit = await proc.exited;
    const finishedMono = clock.now();
    this.stopProbes();
    this.ready = this.role === 'init' && exit.exitCode === 0;
    this.started = false;
    const reason = exit.exitCode === 0 ? 'Completed' : 'Error';
    const signal = exit.signal === null ? {} : { signal: exit.exitCode - 128 };
    this.setState({ terminated: { exitCode: exit.exitCode, ...signal, reason, startedAt: formatTime(exit.startedAt), finishedAt: formatTime(exit.finishedAt), containerID: `crt://${proc.pid}` } });
    return { ...exit, finishedMono };
  }

  /** Runs the postStart hook (a failure kills the container, as in Kubernetes), then the probes. */
  private async afterStart(proc: ContainerProcess, startedMono: number): Promise<void> {
    const hook = this.container.lifecycle?.postStart;
    if (hook && this.target) {
      const result = await runHook(hook, this.target, this.ctx.graceMs, this.ctx.clock);
      if (!proc.running || this.stopping) return;
      if (!result.ok) {
        this.hookFailed('PostStart', hook, result.message);
        await this.terminate(proc, this.ctx.graceMs);
        return;
      }
    }
    if (proc.running && !this.stopping) this.startProbes(proc, startedMono, this.container.startupProbe ? ['startup'] : ['liveness', 'readiness']);
  }

  private startProbes(proc: ContainerProcess, startedMono: number, kinds: ProbeKind[]): void {
    for (const kind of kinds) {
      const probe = this.container[`${kind}Probe`];
      if (!probe || !this.target) continue;
      const title = `${kind[0]?.toUpperCase()}${kind.slice(1)}`;
      const loop = new ProbeLoop({
        probe, kind, target: this.target, clock: this.ctx.clock, startedAt: startedMono,
        onFailure: (message) => this.emit('Warning', 'Unhealthy', `${title} probe failed: ${message}`),
        onChange: (healthy) => this.probeChanged(proc, startedMono, kind, healthy),
      });
      this.probes.push(loop);
      loop.start();
    }
  }

  private probeChanged(proc: ContainerProcess, startedMono: number, kind: ProbeKind, healthy: boolean): void {
    if (!proc.running || this.stopping) return;
    if (kind === 'readiness') {
      this.ready = healthy;
      this.ctx.changed();
    } else if (kind === 'startup' && healthy) {
      this.started = true;
      this.ready = !this.container.readinessProbe;
      this.resolveFirstStart(true);
      this.ctx.changed();
      this.startProbes(proc, startedMono, ['liveness', 'readiness']);
    } else if (!healthy) {
      this.emit('Normal', 'Killing', `Container ${this.name} failed ${kind} probe, will be restarted`);
      const probeGrace = this.container[`${kind}Probe`]?.terminationGracePeriodSeconds;
      void this.terminate(proc, typeof probeGrace === 'number' ? probeGrace * 1000 : this.ctx.graceMs);
    }
  }

  /** preStop hook within the grace, then SIGTERM and SIGKILL when the rest of the grace is up. */
  private async terminate(proc: ContainerProcess, graceMs: number): Promise<void> {
    const { clock } = this.ctx;
    // a second stop (pod deletion during a liveness kill) only shortens the grace: the hook ran already
    if (this.terminating === proc) {
      await proc.stop(graceMs);
      return;
    }
    this.terminating = proc;
    const deadline = clock.now() + graceMs;
    const hook = this.container.lifecycle?.preStop;
    if (hook && this.target && proc.running) {
      const result = await runHook(hook, this.target, graceMs, clock);
      if (!result.ok) this.hookFailed('PreStop', hook, result.message);
    }
    const leftMs = deadline - clock.now();
    await proc.stop(hook ? Math.max(leftMs, minimumGraceAfterHookMs) : Math.max(0, leftMs));
  }

  private async crashLoopWait(finishedMono: number): Promise<void> {
    const delayMs = this.crashBackoff.restartDelay(finishedMono);
    if (delayMs <= 0) return;
    const message = `back-off ${goDuration(delayMs)} restarting failed container=${this.name} pod=${this.ctx.podRef}`;
    this.setState({ waiting: { reason: 'CrashLoopBackOff', message } });
    this.emit('Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${this.ctx.podRef}`);
    await this.pause(finishedMono + delayMs - this.ctx.clock.now());
  }

  /** A terminated state becomes `lastState` when the next one replaces it, as the kubelet reports it. */
  private setState(state: ContainerState): void {
    if ('terminated' in this.state && !('terminated' in state)) this.lastState = this.state;
    this.state = state;
    this.ctx.changed();
  }

  private stopProbes(): void {
    for (const loop of this.probes) loop.stop();
    this.probes = [];
  }

  /** Sleeps unless stopped; false when the wait was cut short by a stop. */
  private async pause(ms: number): Promise<boolean> {
    if (this.abort.signal.aborted) return false;
    try {
      await this.ctx.clock.sleep(ms, this.abort.signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Like the kubelet, the event withholds the hook's output (it may hold secrets); the log has it. */
  private hookFailed(hook: 'PostStart' | 'PreStop', handler: any, message: string): void {
    this.ctx.log.warn({ container: this.name, error: hookFailureMessage(handler, this.name, this.ctx.podRef, message) }, `${hook} hook failed`);
    this.emit('Warning', `Failed${hook}Hook`, `${hook}Hook failed`);
  }

  private emit(type: PodEvent['type'], reason: string, message: string): void {
    const list = this.role === 'regular' ? 'containers' : 'initContainers';
    this.ctx.emit({ type, reason, message, fieldPath: `spec.${list}{${this.name}}` });
  }
}
