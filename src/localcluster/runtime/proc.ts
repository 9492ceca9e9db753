import { readdirSync, readFileSync } from 'node:fs';

/**
 * What /proc says about process groups (Linux only). A container is its own process group, so its
 * processes are the live members of that group. The kernel here has no `/proc/<pid>/task/<tid>/children`
 * (CONFIG_PROC_CHILDREN is often off), so finding them means one pass over /proc: a few milliseconds.
 */

/** Clock ticks per second of /proc/<pid>/stat times: USER_HZ, 100 on every Linux architecture Node.js runs on. */
const ticksPerSecond = 100;

export interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  /** utime + stime + cutime + cstime: the process's CPU time plus its reaped children's. */
  cpuTicks: number;
  /** when the process started, in clock ticks since boot: with the pid, it names one process (pids are reused) */
  startTicks: number;
}

/** One process's stat line, or `undefined` once it is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name sits in parentheses and may itself contain spaces or parentheses
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(fields[i] ?? 0);
  return { pid, state: fields[0] ?? '?', pgrp: n(2), cpuTicks: n(11) + n(12) + n(13) + n(14), startTicks: n(19) };
}

/** Every process id in /proc (empty where there is no /proc). */
/** A process that runs: read, and neither a zombie nor dead (a killed process may wait a while to be reaped). */
export function running(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

export function processIds(): number[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/** Live (not zombie) processes of the given groups, by group. */
export function groupMembers(pgids: ReadonlySet<number>): Map<number, ProcStat[]> {
  const found = new Map<number, ProcStat[]>();
  if (pgids.size === 0) return found;
  for (const pid of processIds()) {
    const stat = readStat(pid);
    if (!running(stat) || !pgids.has(stat.pgrp)) continue;
    found.set(stat.pgrp, [...(found.get(stat.pgrp) ?? []), stat]);
  }
  return found;
}

/** CPU time in ms used by the live members of each group (and the children they reaped). */
export function groupCpuTimeMs(pgids: ReadonlySet<number>): Map<number, number> {
  const times = new Map<number, number>();
  for (const [pgid, members] of groupMembers(pgids)) {
    times.set(pgid, (members.reduce((sum, m) => sum + m.cpuTicks, 0) * 1000) / ticksPerSecond);
  }
  return times;
}

/**
 * One process's resident set size in bytes (`VmRSS` of /proc/<pid>/status, given in KiB there, so no
 * page size is assumed), or undefined once it is gone (or for a kernel thread, which has none).
 */
export function residentBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** What the live members of a process group use: CPU time as groupCpuTimeMs counts it, and their resident memory. */
export interface GroupUsage {
  cpuMs: number;
  memoryBytes: number;
}

/** CPU time (ms) and resident memory (bytes) of the live members of each group, in one pass over /proc. */
export function groupUsage(pgids: ReadonlySet<number>): Map<number, GroupUsage> {
  const usage = new Map<number, GroupUsage>();
  for (const [pgid, members] of groupMembers(pgids)) {
    const cpuMs = (members.reduce((sum, m) => sum + m.cpuTicks, 0) * 1000) / ticksPerSecond;
    usage.set(pgid, { cpuMs, memoryBytes: members.reduce((sum, m) => sum + (residentBytes(m.pid) ?? 0), 0) });
  }
  return usage;
}

/** Whether any process of the group is still alive (zombies waiting to be reaped do not count). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  return (groupMembers(new Set([pgid])).get(pgid)?.length ?? 0) > 0;
}
