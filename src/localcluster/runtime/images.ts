import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The embedded cluster runs processes, not images: this module turns a container's image and command
 * into the program to start, or into the failure Kubernetes would report for it.
 */

/** What to spawn for a container. `env` holds what the "image" adds (e.g. `DEMO_VERSION`). */
export interface ResolvedContainer {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** A container that cannot start, worded as the kubelet words it. */
export interface ContainerFailure {
  failure: { reason: 'ErrImagePull' | 'RunContainerError'; message: string };
}

export interface ResolveOptions {
  /** The demo program run for `crt.io/demo:<tag>` images; defaults to `<package root>/dist/src/demo/main.js`. */
  demoEntry?: string;
  /** Where a relative command path is looked up; defaults to the host process's working directory. */
  cwd?: string;
  /** The PATH to search; defaults to the host's. */
  path?: string;
}

/** The demo image: the colleague-written demo program started by the current Node.js. */
export const DEMO_IMAGE = 'crt.io/demo';

// dist/src/localcluster/runtime/images.js → the package root, four levels up
export const defaultDemoEntry = fileURLToPath(new URL('../../../../dist/src/demo/main.js', import.meta.url));

/** crt's own image (the load workers of a distributed load): this crt's CLI, started by the current Node.js. */
export const CRT_IMAGE = 'crt.io/crt';
export const crtEntry = fileURLToPath(new URL('../../../../bin/crt.js', import.meta.url));

/** `docker.io/library/node:20` → `{ repository: 'node', tag: '20' }`; the digest, if any, is dropped. */
export function parseImage(image: string): { repository: string; tag: string } {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  let repository = hasTag ? noDigest.slice(0, colon) : noDigest;
  for (const prefix of ['docker.io/library/', 'docker.io/', 'library/']) {
    if (repository.startsWith(prefix)) repository = repository.slice(prefix.length);
  }
  return { repository, tag: hasTag ? noDigest.slice(colon + 1) : 'latest' };
}

/** A stable, digest-shaped image ID, so `imageID` looks like a registry's without pretending to be one. */
export function imageID(image: string): string {
  const { repository } = parseImage(image);
  return `${repository}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/**
 * The program to start for `container` (its `command` and `args` already `$(VAR)`-expanded), or the
 * failure to report: a missing executable (`RunContainerError`), an image that is not a process (`ErrImagePull`).
 */
export function resolveContainer(container: any, options: ResolveOptions = {}): ResolvedContainer | ContainerFailure {
  const image = String(container.image ?? '');
  const { repository, tag } = parseImage(image);
  const args: string[] = (container.args ?? []).map(String);
  const env: Record<string, string> = repository === DEMO_IMAGE ? { DEMO_VERSION: tag } : {};
  const command: string[] = (container.command ?? []).map(String);
  const [program, ...commandArgs] = command;
  if (program !== undefined) {
    const found = findExecutable(program, options);
    if ('error' in found) return { failure: { reason: 'RunContainerError', message: found.error } };
    return { file: found.file, args: [...commandArgs, ...args], env };
  }
  if (repository === DEMO_IMAGE) return { file: process.execPath, args: [options.demoEntry ?? defaultDemoEntry, ...args], env };
  if (repository === CRT_IMAGE) return { file: process.execPath, args: [crtEntry, ...args], env };
  if (repository === 'node') return { file: process.execPath, args, env };
  return {
    failure: {
      reason: 'ErrImagePull',
      message: `Failed to pull image "${image}": the embedded cluster runs local processes, not container images; ` +
        `give the container a command, or use a ${DEMO_IMAGE} image`,
    },
  };
}

/** Resolves like Go's exec.LookPath (`node` is this Node.js), with runc's wording for what it cannot run. */
export function findExecutable(program: string, options: ResolveOptions): { file: string } | { error: string } {
  if (program === 'node') return { file: process.execPath };
  if (program.includes('/')) {
    const file = path.resolve(options.cwd ?? process.cwd(), program);
    const problem = checkExecutable(file);
    return problem === undefined ? { file } : { error: `exec: "${program}": ${problem === 'ENOENT' ? `stat ${file}: no such file or directory` : 'permission denied'}` };
  }
  for (const dir of (options.path ?? process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, program);
    if (checkExecutable(file) === undefined) return { file };
  }
  return { error: `exec: "${program}": executable file not found in $PATH` };
}

function checkExecutable(file: string): 'ENOENT' | 'EACCES' | undefined {
  try {
    if (!statSync(file).isFile()) return 'EACCES';
  } catch {
    return 'ENOENT';
  }
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch {
    return 'EACCES';
  }
}
