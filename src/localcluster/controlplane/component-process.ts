import { open } from 'node:fs/promises';
import path from 'node:path';
import { ContainerProcess, type ProcessExit } from '../runtime/index.js';
import type { ComponentName } from './component-args.js';

export type Wrap = (file: string, args: string[]) => { file: string; args: string[] };

export interface ComponentLaunch {
  name: ComponentName;
  /** the process' id in the control plane: its name, or `etcd-<i>` for a member of a 3-member etcd */
  id?: string;
  /** the program, in the binaries folder */
  file: string;
  args: string[];
  logFile: string;
  /** the marks the orphan scan reads (cluster dir, owner) */
  env: Record<string, string>;
  cwd: string;
  wrap?: Wrap;
}

/**
 * One control-plane program as a child process: its own process group (a stop reaches anything it
 * started, `ip netns exec` included), output appended to its log, a clean environment plus the marks.
 */
export class ComponentProcess {
  private constructor(readonly launch: ComponentLaunch, private readonly proc: ContainerProcess) {}

  static async start(launch: ComponentLaunch): Promise<ComponentProcess> {
    const { file, args } = launch.wrap ? launch.wrap(launch.file, launch.args) : { file: launch.file, args: launch.args };
    const proc = await ContainerProcess.start({ file, args, env: launch.env, cwd: launch.cwd, logFile: launch.logFile });
    return new ComponentProcess(launch, proc);
  }

  get name(): ComponentName {
    return this.launch.name;
  }

  get id(): string {
    return this.launch.id ?? this.launch.name;
  }

  /** SIGKILL to the whole group, as a crash: resolves when it is gone. */
  kill(): Promise<ProcessExit> {
    return this.proc.kill();
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** Resolves once the process and its group are gone. */
  get exited(): Promise<ProcessExit> {
    return this.proc.exited;
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs: number): Promise<ProcessExit> {
    return this.proc.stop(graceMs);
  }

  /** The last `count` lines of the component's log, for error messages. */
  logTail(count = 15): Promise<string[]> {
    return tail(this.launch.logFile, count);
  }
}

/** The last `count` non-empty lines of a file (read from its last 64 KiB); none when it cannot be read. */
export async function tail(file: string, count: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 65_536);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-count);
  } finally {
    await handle.close();
  }
}

/** `<logs>/<component>.log` (`etcd-1.log` for a member of a 3-member etcd) */
export function logFile(logs: string, name: string): string {
  return path.join(logs, `${name}.log`);
}
