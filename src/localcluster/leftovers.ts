import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLUSTER_MARKER_ENV, CLUSTER_OWNER_ENV, ownerAlive, ownerPid, processIds, readStat, running } from './runtime/index.js';

/** A pod process of an embedded cluster, as /proc shows it. */
interface PodProcess {
  pid: number;
  /** the cluster's state dir (`CRT_EMBEDDED_CLUSTER`) */
  stateDir: string;
  /** `<pid>:<start ticks>` of the process that ran the cluster; absent for pods of an older crt */
  owner: string | undefined;
  startTicks: number;
}

function environ(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/**
 * Every pod process of an embedded cluster on this machine (Linux: read from /proc): each carries
 * `CRT_EMBEDDED_CLUSTER=<state dir>` in its environment, so they are found even after the process that
 * ran the cluster was killed. A process without the marker is never taken for a pod, whatever its pid.
 */
function podProcesses(): PodProcess[] {
  const found: PodProcess[] = [];
  const marker = `${CLUSTER_MARKER_ENV}=`;
  const owner = `${CLUSTER_OWNER_ENV}=`;
  for (const pid of processIds()) {
    if (pid === process.pid) continue;
    const env = environ(pid);
    const stateDir = env?.find((e) => e.startsWith(marker))?.slice(marker.length);
    const stat = stateDir ? readStat(pid) : undefined;
    if (!stateDir || !running(stat)) continue;
    found.push({ pid, stateDir, owner: env?.find((e) => e.startsWith(owner))?.slice(owner.length), startTicks: stat.startTicks });
  }
  return found;
}

/** Pod processes of the embedded cluster whose state dir is `stateDir`, still alive. */
export function leftoverPodProcesses(stateDir: string): number[] {
  return podProcesses().filter((p) => p.stateDir === stateDir).map((p) => p.pid);
}

/**
 * SIGKILLs pod processes (their process groups: a pod's children go too), each checked again just
 * before: still alive with the same start time and the same cluster marker, so a pid reused since the
 * scan is left alone. Returns the pids killed.
 */
function killPods(pods: readonly PodProcess[]): number[] {
  const killed: number[] = [];
  for (const p of pods) {
    const stat = readStat(p.pid);
    if (stat?.startTicks !== p.startTicks || !environ(p.pid)?.includes(`${CLUSTER_MARKER_ENV}=${p.stateDir}`)) continue;
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      try { process.kill(p.pid, 'SIGKILL'); } catch { continue; /* already gone */ }
    }
    killed.push(p.pid);
  }
  return killed;
}

/** SIGKILLs leftover pod processes of the cluster of `stateDir`. Returns the pids. */
export function killLeftovers(stateDir: string): number[] {
  return killPods(podProcesses().filter((p) => p.stateDir === stateDir));
}

/** The pods of one embedded cluster whose process is gone: what a `kill -9` of `crt run` or `crt cluster up` left. */
export interface OrphanedCluster {
  stateDir: string;
  /** pid of the process that ran the cluster, now gone */
  ownerPid: number;
  pids: number[];
}

/** Embedded clusters on this machine whose owner process is gone while their pods still run. */
export function orphanedClusters(pods = podProcesses()): OrphanedCluster[] {
  const byDir = new Map<string, OrphanedCluster>();
  for (const p of pods) {
    if (!p.owner || ownerAlive(p.owner)) continue;
    const entry = byDir.get(p.stateDir) ?? { stateDir: p.stateDir, ownerPid: ownerPid(p.owner), pids: [] };
    entry.pids.push(p.pid);
    byDir.set(p.stateDir, entry);
  }
  return [...byDir.values()];
}

/**
 * Stops the pods of every orphaned embedded cluster (see orphanedClusters): pods of a cluster whose
 * process still runs, or of an older crt that did not mark its owner, are never touched.
 * Returns what was stopped, by cluster.
 */
export function stopOrphanedClusters(): OrphanedCluster[] {
  const pods = podProcesses();
  const stopped: OrphanedCluster[] = [];
  for (const orphan of orphanedClusters(pods)) {
    const pids = killPods(pods.filter((p) => orphan.pids.includes(p.pid)));
    if (pids.length) stopped.push({ ...orphan, pids });
  }
  return stopped;
}

/** Another embedded cluster that still runs on this machine, with what stops it. */
export interface OtherCluster {
  stateDir: string;
  pids: number[];
  /** pid of the process running it, when its pods say (absent for pods of an older crt) */
  ownerPid?: number;
  /** its owner is gone: the next `crt run` or `crt cluster down` stops these pods */
  orphaned: boolean;
  /** the command that stops it, or what to do */
  remedy: string;
}

/**
 * Pod processes of other embedded clusters on this machine, by state dir. Embedded clusters share the
 * loopback ranges (pods 127.10.x.y and their private addresses 127.11.x.y, Services 127.20.x.y, node ports), so a second one would fight the
 * first for its addresses.
 */
export function otherClusters(stateDir: string): OtherCluster[] {
  const byDir = new Map<string, PodProcess[]>();
  for (const p of podProcesses()) if (p.stateDir !== stateDir) byDir.set(p.stateDir, [...(byDir.get(p.stateDir) ?? []), p]);
  return [...byDir].map(([dir, pods]) => {
    const owner = pods.find((p) => p.owner)?.owner;
    const orphaned = owner !== undefined && !ownerAlive(owner);
    return { stateDir: dir, pids: pods.map((p) => p.pid), ...(owner ? { ownerPid: ownerPid(owner) } : {}), orphaned, remedy: remedy(dir, owner, orphaned) };
  });
}

/**
 * What stops another cluster. `crt cluster up --dir D` keeps its state in `D/cluster` beside `D/cluster.json`;
 * a `crt run` keeps it in `<run folder>/cluster`. Another program's cluster (a test's) is stopped by its process.
 */
function remedy(stateDir: string, owner: string | undefined, orphaned: boolean): string {
  if (orphaned) return `its crt process (pid ${ownerPid(owner!)}) is gone: crt cluster down stops the pods it left`;
  const dir = path.dirname(stateDir);
  const rel = path.relative(process.cwd(), dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  const ours = path.basename(stateDir) === 'cluster';
  if (ours && (!owner || existsSync(path.join(dir, 'cluster.json')))) return `crt cluster down --dir ${shown}`;
  if (ours && owner) return `a crt run (pid ${ownerPid(owner)}) uses it: wait for it to end, or interrupt it (kill -INT ${ownerPid(owner)})`;
  return owner ? `the process running it (pid ${ownerPid(owner)}) still runs: stop it` : 'kill those pids';
}
