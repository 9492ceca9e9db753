import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../core/index.js';

/** What `crt cluster up` records in `<dir>/cluster.json` for `down`, `status` and `url`. */
export interface ClusterState {
  pid: number;
  url: string;
  nodes: number;
  stateDir: string;
  kubeconfig: string;
  startedAt: string;
  demo: boolean;
  /** `builtin` or `kubernetes` (absent: written by an older crt, builtin) */
  controlPlane?: string;
  /** why this control plane (auto that fell back says why) */
  controlPlaneNote?: string;
  /** where the node power and link switches answer (absent: at `url`) */
  switchBase?: string;
}

export function statePaths(dir: string): { state: string; kubeconfig: string; stateDir: string; log: string } {
  const abs = path.resolve(dir);
  return { state: path.join(abs, 'cluster.json'), kubeconfig: path.join(abs, 'kubeconfig'), stateDir: path.join(abs, 'cluster'), log: path.join(abs, 'cluster.log') };
}

export async function readState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(statePaths(dir).state, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export async function writeState(dir: string, state: ClusterState): Promise<void> {
  // atomic and fsynced: `down` after a crash must find the pid of the cluster it stops
  await writeFileAtomically(statePaths(dir).state, `${JSON.stringify(state, null, 2)}\n`);
}

export async function clearState(dir: string, pid: number): Promise<void> {
  const current = await readState(dir);
  if (current && current.pid !== pid) return; // another cluster took over the folder
  await rm(statePaths(dir).state, { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
