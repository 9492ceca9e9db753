import { mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { processIds, readStat, running } from '../runtime/index.js';

/**
 * Which process owns a fabric: written to `/run/crt/netns/<id>.json` before its first namespace is made
 * and removed after its last is gone, so that namespaces left by a killed crt can be told from those of
 * a crt that runs. /run is emptied at boot, as /run/netns is.
 */
export const RECORD_DIR = '/run/crt/netns';

export interface OwnerRecord {
  id: string;
  pid: number;
  /** with the pid, names one process (pids are reused) */
  startTicks: number;
  /** the owner's pid namespace (`pid:[4026531836]`): a pid means something only in its own */
  pidNs: string;
  bootId: string;
}

/** What this machine shows of its processes, for ownerGone (a seam for the unit tests). */
export interface ProcessView {
  bootId: string;
  pidNs: string;
  /** our own pid namespace is the outermost this /proc shows: every pid namespace's processes are visible */
  seesAllPidNs: boolean;
  /** whether process `pid` of our pid namespace runs, started at `startTicks` */
  runs(pid: number, startTicks: number): boolean;
  /** the processes of another pid namespace that this /proc shows: their pid there and start time */
  membersOf(pidNs: string): { nsPid: number; startTicks: number }[];
}

/**
 * Whether the owner of a record is gone for sure. Unknown counts as alive: an owner in a pid
 * namespace we cannot see (a sibling container sharing /run) may well run, and removing its
 * namespaces would cut it off.
 */
export function ownerGone(record: OwnerRecord, view: ProcessView): boolean {
  if (record.bootId !== view.bootId) return true;
  if (record.pidNs === view.pidNs) return !view.runs(record.pid, record.startTicks);
  const members = view.membersOf(record.pidNs);
  if (members.length === 0) return view.seesAllPidNs;
  return !members.some((m) => m.nsPid === record.pid && m.startTicks === record.startTicks);
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function pidNsOf(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** `NSpid:` of /proc/<pid>/status: the pid in each pid namespace, outermost first. */
function nsPids(pid: number | 'self'): number[] {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** This machine's processes, read from /proc. */
export function processView(): ProcessView {
  return {
    bootId: bootId(),
    pidNs: pidNsOf('self') ?? 'unknown',
    seesAllPidNs: nsPids('self').length === 1,
    runs(pid, startTicks) {
      const stat = readStat(pid);
      return running(stat) && stat.startTicks === startTicks;
    },
    membersOf(pidNs) {
      const found: { nsPid: number; startTicks: number }[] = [];
      for (const pid of processIds()) {
        if (pidNsOf(pid) !== pidNs) continue;
        const stat = readStat(pid);
        const inner = nsPids(pid).at(-1);
        if (running(stat) && inner !== undefined) found.push({ nsPid: inner, startTicks: stat.startTicks });
      }
      return found;
    },
  };
}

/** The record saying that this process owns fabric `id`. */
export async function ownRecord(id: string): Promise<OwnerRecord> {
  const stat = readStat(process.pid);
  return { id, pid: process.pid, startTicks: stat?.startTicks ?? 0, pidNs: (await readlink('/proc/self/ns/pid').catch(() => undefined)) ?? 'unknown', bootId: bootId() };
}

function recordPath(id: string): string {
  return path.join(RECORD_DIR, `${id}.json`);
}

export async function writeRecord(record: OwnerRecord): Promise<void> {
  await mkdir(RECORD_DIR, { recursive: true });
  await writeFile(recordPath(record.id), JSON.stringify(record) + '\n');
}

/** The record of fabric `id`, or undefined when there is none (or it cannot be read). */
export async function readRecord(id: string): Promise<OwnerRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(recordPath(id), 'utf8')) as Partial<OwnerRecord>;
    if (typeof r.pid !== 'number' || typeof r.startTicks !== 'number' || typeof r.pidNs !== 'string' || typeof r.bootId !== 'string') return undefined;
    return { id, pid: r.pid, startTicks: r.startTicks, pidNs: r.pidNs, bootId: r.bootId };
  } catch {
    return undefined;
  }
}

export async function removeRecord(id: string): Promise<void> {
  await rm(recordPath(id), { force: true });
}
