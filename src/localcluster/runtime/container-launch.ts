import path from 'node:path';
import { ContainerConfigError, expand } from './env.js';
import { resolveContainer, type ResolvedContainer } from './images.js';
import type { RunnerContext } from './runner-context.js';

/** What to start for a container, each time it (re)starts: its environment, command and directory. */

export type Launch = ResolvedContainer & { cwd: string };

/** Why a container could not be created: ErrImagePull, RunContainerError, CreateContainerConfigError, CreateContainerError. */
export interface LaunchFailure {
  failure: { reason: string; message: string };
}

/** Where container `name`'s output goes for its `restartCount`-th restart, as in /var/log/pods. */
export function logPath(podDir: string, container: string, restartCount: number): string {
  return path.join(podDir, 'logs', container, `${restartCount}.log`);
}

/**
 * The process to start for `container`: its environment (references resolved now, so a ConfigMap created
 * later is picked up by the next retry), `$(VAR)` expanded in command and args, the program found.
 * The directory is `workingDir` when given (relative to the cluster's own), else the pod's folder.
 */
export function prepareLaunch(container: any, ctx: Pick<RunnerContext, 'env' | 'dir' | 'demoEntry'>): Launch | LaunchFailure {
  let env: Record<string, string>;
  try {
    env = ctx.env(container);
  } catch (err) {
    const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
    return { failure: { reason, message: (err as Error).message } };
  }
  const expandAll = (list: unknown) => (Array.isArray(list) ? list.map((s) => expand(String(s), env)) : undefined);
  const workingDir = container.workingDir ? path.resolve(String(container.workingDir)) : undefined;
  const resolved = resolveContainer(
    { ...container, command: expandAll(container.command), args: expandAll(container.args) },
    { ...(ctx.demoEntry ? { demoEntry: ctx.demoEntry } : {}), ...(workingDir ? { cwd: workingDir } : {}), ...(env.PATH ? { path: env.PATH } : {}) },
  );
  if ('failure' in resolved) return resolved;
  // the image's environment first: the container's own wins, as with a real image
  return { ...resolved, env: { ...resolved.env, ...env }, cwd: workingDir ?? ctx.dir };
}
