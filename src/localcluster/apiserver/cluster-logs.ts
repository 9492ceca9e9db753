import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError, type KObject } from '../api/index.js';
import type { LogSource } from './pod-logs.js';

/**
 * Finds container logs where the pod runtime writes them: `<stateDir>/pods/<ns>_<name>_<uid>/logs/<container>/<restart>.log`,
 * one file per run of the container, so `--previous` is the run before the current one.
 */
export class ClusterLogs implements LogSource {
  constructor(private readonly stateDir: string, private readonly isRunning: (podUid: string) => boolean) {}

  logFile(pod: KObject, container: string | undefined, previous: boolean): string {
    const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
    const inits: string[] = (pod.spec?.initContainers ?? []).map((c: any) => c.name);
    const name = container ?? (containers.length === 1 ? containers[0] : undefined);
    if (!name) {
      throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
    }
    if (!containers.includes(name) && !inits.includes(name)) {
      throw new ApiError(400, 'BadRequest', `container ${name} is not valid for pod ${pod.metadata.name}`);
    }
    const dir = path.join(this.podDir(pod), 'logs', name);
    const runs = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.log$/.test(f)).map((f) => Number.parseInt(f, 10)).sort((a, b) => a - b) : [];
    const pick = previous ? runs[runs.length - 2] : runs[runs.length - 1];
    if (pick === undefined) {
      if (previous) throw new ApiError(400, 'BadRequest', `previous terminated container "${name}" in pod "${pod.metadata.name}" not found`);
      throw new ApiError(400, 'BadRequest', `container "${name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
    }
    return path.join(dir, `${pick}.log`);
  }

  isWriting(file: string): boolean {
    const uid = /_([0-9a-f-]{36})[/\\]logs[/\\]/.exec(file)?.[1];
    if (!uid || !this.isRunning(uid)) return false;
    // Only the newest run's file is still being written.
    const dir = path.dirname(file);
    const newest = readdirSync(dir).filter((f) => /^\d+\.log$/.test(f)).map((f) => Number.parseInt(f, 10)).sort((a, b) => b - a)[0];
    return path.basename(file) === `${newest}.log`;
  }

  private podDir(pod: KObject): string {
    return path.join(this.stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  }
}
