import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubernetesBinaries, normalizeVersion, type KubernetesBinary } from './layout.js';

const run = promisify(execFile);

/** The version a binary reports, or why it reports none. */
export type ProbedVersion = { version: string } | { missing: string };

/** The arguments that make each binary print its version, and how to read it. */
const versionCommands: Record<KubernetesBinary, { args: string[]; parse: (out: string) => string | undefined }> = {
  'kube-apiserver': { args: ['--version'], parse: kubeVersionLine },
  'kube-controller-manager': { args: ['--version'], parse: kubeVersionLine },
  'kube-scheduler': { args: ['--version'], parse: kubeVersionLine },
  kubectl: { args: ['version', '--client', '-o', 'json'], parse: kubectlClientVersion },
  etcd: { args: ['--version'], parse: (out) => /etcd Version:\s*(\S+)/.exec(out)?.[1] },
};

/** `Kubernetes v1.37.2` → `1.37.2` */
function kubeVersionLine(out: string): string | undefined {
  const m = /Kubernetes\s+(v\S+)/.exec(out);
  return m ? normalizeVersion(m[1]!) : undefined;
}

function kubectlClientVersion(out: string): string | undefined {
  try {
    const parsed = JSON.parse(out) as { clientVersion?: { gitVersion?: string } };
    return normalizeVersion(parsed.clientVersion?.gitVersion ?? '');
  } catch {
    return undefined;
  }
}

/** Runs one binary of `dir` to read its version (each call bounded to 20 s). */
export async function probeBinary(dir: string, name: KubernetesBinary): Promise<ProbedVersion> {
  const file = path.join(dir, name);
  try {
    await access(file, constants.X_OK);
  } catch {
    return { missing: `no executable ${file}` };
  }
  const { args, parse } = versionCommands[name];
  try {
    const { stdout, stderr } = await run(file, args, { timeout: 20_000 });
    const version = parse(`${stdout}\n${stderr}`);
    return version ? { version } : { missing: `${file} ${args.join(' ')} printed no version` };
  } catch (err) {
    return { missing: `${file} ${args.join(' ')} failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

export interface Expected {
  kubernetes: string;
  /** the etcd the release pins; unknown: any etcd 3.5 or later */
  etcd?: string;
}

/**
 * Why the binaries of `dir` are not the release expected, or undefined when they are: the four
 * Kubernetes programs report exactly `expected.kubernetes`; etcd reports `expected.etcd`'s major.minor
 * (envtest bundles and distributions ship other patch releases of the etcd a release was tested with).
 */
export async function mismatch(dir: string, expected: Expected): Promise<string | undefined> {
  const probed = await Promise.all(kubernetesBinaries.map(async (name) => [name, await probeBinary(dir, name)] as const));
  const problems: string[] = [];
  for (const [name, p] of probed) {
    if ('missing' in p) problems.push(p.missing);
    else if (name !== 'etcd' && p.version !== expected.kubernetes) problems.push(`${name} is ${p.version}, not ${expected.kubernetes}`);
    else if (name === 'etcd' && !etcdFits(p.version, expected.etcd)) problems.push(`etcd is ${p.version}, not ${expected.etcd ? `${minor(expected.etcd)}.x` : '3.5 or later'}`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

const minor = (v: string): string => v.split('.').slice(0, 2).join('.');

function etcdFits(version: string, expected: string | undefined): boolean {
  if (expected) return minor(version) === minor(expected);
  const [major, min] = version.split('.').map(Number);
  return major === 3 && (min ?? 0) >= 5;
}
