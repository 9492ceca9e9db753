import { readStat, running } from './proc.js';

/**
 * Every process of an embedded cluster (its pods, and the control-plane programs of
 * `controlPlane: kubernetes`) carries `CRT_EMBEDDED_CLUSTER=<state dir>`: the orphan scan finds them by it.
 */
export const CLUSTER_MARKER_ENV = 'CRT_EMBEDDED_CLUSTER';

/**
 * Every pod process carries the process that runs its cluster (`crt run` of a cluster.local plan, or
 * `crt cluster up`) as `CRT_EMBEDDED_CLUSTER_OWNER=<pid>:<start ticks>`: when that process is gone (a
 * `kill -9`), its pods are orphans that the next `crt run` or `crt cluster down` may stop. The start
 * time makes the mark name one process: a pid reused by another process does not pass for the owner.
 */
export const CLUSTER_OWNER_ENV = 'CRT_EMBEDDED_CLUSTER_OWNER';

/** The owner mark of process `pid` (this one by default), or undefined where /proc cannot say. */
export function ownerMark(pid = process.pid): string | undefined {
  const stat = readStat(pid);
  return stat ? `${pid}:${stat.startTicks}` : undefined;
}

/** Whether the process a mark names still runs (the same pid started at the same instant, not a zombie). */
export function ownerAlive(mark: string): boolean {
  const [pid, start] = mark.split(':').map(Number);
  if (!Number.isInteger(pid) || !Number.isInteger(start)) return true; // unreadable mark: never taken for an orphan
  const stat = readStat(pid!);
  return running(stat) && stat.startTicks === start;
}

/** The pid of a mark, for messages. */
export function ownerPid(mark: string): number {
  return Number(mark.split(':')[0]);
}
