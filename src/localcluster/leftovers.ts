import { readdirSync, readFileSync } from 'node:fs';
import { CLUSTER_MARKER_ENV } from './node/node-agent.js';

/**
 * Pod processes of an embedded cluster still alive (Linux: read from /proc): every pod process carries
 * `CRT_EMBEDDED_CLUSTER=<state dir>` in its environment, so they are found even after the cluster
 * process itself was killed.
 */
export function leftoverPodProcesses(stateDir: string): number[] {
  const marker = `${CLUSTER_MARKER_ENV}=${stateDir}`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(marker)) found.push(Number(entry));
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
