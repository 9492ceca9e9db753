import os from 'node:os';
import path from 'node:path';

/** The programs `crt cluster install` provides, all of one Kubernetes release (etcd: the one it pins). */
export const kubernetesBinaries = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'etcd'] as const;
export type KubernetesBinary = (typeof kubernetesBinaries)[number];

/** The programs the Kubernetes release ships (etcd comes from the etcd project). */
export const releaseBinaries = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;

/**
 * The cache root: `CRT_CACHE`, else `$XDG_CACHE_HOME/crt`, else `~/.cache/crt`. Binaries of
 * Kubernetes X.Y.Z live in `<root>/kubernetes/X.Y.Z/bin`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CRT_CACHE) return path.resolve(env.CRT_CACHE);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'crt');
}

export interface VersionLayout {
  /** `<root>/kubernetes/<version>` */
  dir: string;
  /** the binaries; put it first on PATH to use this kubectl */
  bin: string;
  /** the generated Go build module (go.mod, go.sum) */
  build: string;
}

export function versionLayout(root: string, version: string): VersionLayout {
  const dir = path.join(root, 'kubernetes', version);
  return { dir, bin: path.join(dir, 'bin'), build: path.join(dir, 'build') };
}

/** `1.37.2` from `1.37.2` or `v1.37.2`; undefined for anything that is not a release version. */
export function normalizeVersion(text: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** Go's names for this machine, as release download paths use them. */
export function goPlatform(): { os: string; arch: string } {
  const arch = ({ x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: process.platform === 'win32' ? 'windows' : process.platform, arch };
}
