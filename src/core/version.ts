import { readFileSync } from 'node:fs';

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as PackageJson;

export const crtVersion: string = pkg.version;

/** Installed version of a dependency, read from its package.json. */
export function dependencyVersion(name: string): string {
  try {
    const url = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as PackageJson).version;
  } catch {
    return pkg.dependencies[name] ?? 'unknown';
  }
}

/**
 * The one Kubernetes release crt installs and tests against (`crt cluster install`): the newest minor
 * whose k8s.io/kubernetes module builds with the Go the project's machines have (its go.mod says
 * `go 1.26.0`). tools/kubernetes/go.mod pins the same release; a unit test keeps the two equal.
 */
export const kubernetesVersion = '1.37.2';

/** The etcd that Kubernetes release pins (go.etcd.io/etcd/server/v3 in its go.mod). */
export const etcdVersion = '3.7.0';
