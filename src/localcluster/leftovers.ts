import { readFileSync } from 'node:fs';
import { CLUSTER_MARKER_ENV } from './node/node-agent.js';
import { processIds } from './runtime/proc.js';

/**
 * Pod processes of an embedded cluster still alive (Linux: read from /proc): every pod process carries
 * `CRT_EMBEDDED_CLUSTER=<state dir>` in its environment, so they are found even after the cluster
 * process itself was killed.
 */
export function leftoverPodProcesses(stateDir: string): number[] {
  const marker = `${CLUSTER_MARKER_ENV}=${stateDir}`;
  const found: number[] = [];
  for (const pid of processIds()) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (env.includes(marker)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs leftover pod processes (their process groups: a pod's children go too). Returns the pids. */
export function killLeftovers(stateDir: string): number[] {
  const pids = leftoverPodProcesses(stateDir);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  return pids;
}

/**
 * Pod processes of other embedded clusters on this machine, by state dir. Embedded clusters share the
 * loopback ranges (pods 127.10.x.y and their private addresses 127.11.x.y, Services 127.20.x.y, node ports), so a second one would fight the
 * first for its addresses.
 */
export function otherClusters(stateDir: string): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const prefix = `${CLUSTER_MARKER_ENV}=`;
  for (const pid of processIds()) {
    if (pid === process.pid) continue;
    try {
      const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(prefix));
      const dir = entry?.slice(prefix.length);
      if (dir && dir !== stateDir) found.set(dir, [...(found.get(dir) ?? []), pid]);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
