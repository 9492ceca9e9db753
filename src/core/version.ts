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
