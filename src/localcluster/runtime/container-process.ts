import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { systemClock, type Clock } from '../../core/index.js';
import { groupAlive, groupCpuTimeMs } from './proc.js';

/**
 * One container's process: its own process group (so the final SIGKILL reaches `sh -c` children too), a clean
 * environment, output appended to a log file. Like a container runtime, it kills the whole group as soon
 * as the main process exits: nothing of a container outlives it.
 */

export interface ContainerProcessOptions {
  file: string;
  args: readonly string[];
  /** The container's environment; only PATH, HOME, LANG and TMPDIR come from the host, when not given. */
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** stdout and stderr are appended here; its folder is created. */
  logFile: string;
  clock?: Clock;
}

export interface ProcessExit {
  /** The exit status; 128 + the signal number when a signal ended it, as container runtimes report. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** Wall-clock epoch milliseconds. */
  startedAt: number;
  finishedAt: number;
}

const hostVars = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const;
const gonePollMs = 20;
const gonePollLimitMs = 2000;

/** The host variables a process needs to behave (find programs, a home, a locale, a temp dir). */
export function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of hostVars) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export class ContainerProcess {
  /** Resolves once the main process has exited and no process of its group is left. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;

  private constructor(
    child: ChildProcess,
    readonly pid: number,
    readonly startedAt: number,
    private readonly clock: Clock,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const finishedAt = clock.wallNow();
        this.signalGroup('SIGKILL');
        const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        this.exit = { exitCode, signal, startedAt, finishedAt };
        void this.waitGroupGone().then(() => resolve(this.exit as ProcessExit));
      });
    });
  }

  /** Starts the process; rejects when it cannot be spawned (the executable vanished, a bad cwd). */
  static async start(options: ContainerProcessOptions): Promise<ContainerProcess> {
    const clock = options.clock ?? systemClock;
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    try {
      const child = spawn(options.file, options.args, {
        cwd: options.cwd,
        env: { ...hostEnv(), ...options.env },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return new ContainerProcess(child, child.pid as number, clock.wallNow(), clock);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the main process is still running. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /**
   * SIGTERM to the main process only, as a container runtime signals PID 1 (a `sh -c` that does not
   * pass it on leaves its children to the SIGKILL), then SIGKILL to the whole group after `graceMs` if
   * anything is left; resolves when everything is gone (at once if it already was).
   */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.exit !== undefined) return this.exited;
    const abort = new AbortController();
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // ESRCH: the main process has just exited; its exit handler kills the rest of the group
    }
    this.clock.sleep(graceMs, abort.signal).then(() => this.signalGroup('SIGKILL'), () => undefined);
    try {
      return await this.exited;
    } finally {
      abort.abort();
    }
  }

  /** SIGKILL to the whole group, at once. */
  kill(): Promise<ProcessExit> {
    this.signalGroup('SIGKILL');
    return this.exited;
  }

  /** CPU time used so far by the group's live processes, in ms (0 once it has exited). */
  cpuTimeMs(): number {
    if (this.exit !== undefined) return 0;
    return groupCpuTimeMs(new Set([this.pid])).get(this.pid) ?? 0;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }

  /** The group's other members die of the SIGKILL sent at exit; wait until the kernel has them gone. */
  private async waitGroupGone(): Promise<void> {
    for (let waited = 0; waited < gonePollLimitMs && groupAlive(this.pid); waited += gonePollMs) {
      this.signalGroup('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, gonePollMs));
    }
  }
}
