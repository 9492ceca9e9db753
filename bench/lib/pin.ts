import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * One core each: the target on core 0, each tool on core 1, with `taskset` (util-linux), so that
 * tools compete with the target for nothing but the loopback. Null when the machine has one core or
 * no taskset: the tools then run unpinned, and the header says so.
 */
export interface Pinning {
  targetCpu: number;
  toolCpu: number;
}

export function pinning(): Pinning | null {
  if (cpus().length < 2) return null;
  const r = spawnSync('taskset', ['-V'], { encoding: 'utf8' });
  return r.error ? null : { targetCpu: 0, toolCpu: 1 };
}

/** `cmd args` prefixed with `taskset -c cpu` when pinned. */
export function onCpu(cpu: number | null, cmd: string, args: string[]): [string, string[]] {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** Pins a running process, every thread of it, and its children (nginx's worker) to `cpus` (`1`, `0-1`). */
export function pinTree(pid: number, cpus: number | string): void {
  pinProcess(pid, cpus);
  for (const child of children(pid)) pinTree(child, cpus);
}

/** Pins every thread of one process (not its children); threads it starts later inherit it. */
export function pinProcess(pid: number, cpus: number | string): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
}

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}
