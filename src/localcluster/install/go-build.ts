import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildModule, goPackages, versionLdflags } from './go-module.js';

const exec = promisify(execFile);

/** tools/kubernetes: go.mod and go.sum of the pinned release's build module, committed for a reproducible build. */
export const committedModuleDir = fileURLToPath(new URL('../../../../tools/kubernetes/', import.meta.url));

/** `go version` of `go`, or undefined when it cannot run. */
export async function goVersion(go: string): Promise<string | undefined> {
  try {
    return (await exec(go, ['version'], { timeout: 20_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}

export interface GoBuildOptions {
  go: string;
  version: string;
  /** the build module's folder (go.mod, go.sum), in the cache */
  moduleDir: string;
  /** an empty folder that receives the five programs */
  staging: string;
  onProgress: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd with `go build` at the
 * lowest CPU priority (nice 19): from the committed module when `version` is the one it pins, else from a
 * module generated from k8s.io/kubernetes's own go.mod. Go's module and build caches stay where Go keeps them.
 */
export async function goBuild(opts: GoBuildOptions): Promise<void> {
  const committed = await prepareModule(opts);
  const args = [
    'build', committed ? '-mod=readonly' : '-mod=mod', '-trimpath',
    '-ldflags', ['-s', '-w', ...versionLdflags(opts.version, new Date().toISOString().replace(/\.\d+Z$/, 'Z'))].join(' '),
    '-o', `${opts.staging}${path.sep}`, ...Object.values(goPackages),
  ];
  opts.onProgress(`building Kubernetes v${opts.version} and etcd with ${opts.go} (nice 19); the first build downloads about 1 GB of modules and compiles for several minutes`);
  await runGo(opts, args);
  // `go build -o dir/` names a /vN module's command after the element before the version: etcd's is "server"
  await rename(path.join(opts.staging, 'server'), path.join(opts.staging, 'etcd'));
}

/** Writes go.mod and go.sum into `moduleDir`; true when they are the committed ones. */
async function prepareModule(opts: GoBuildOptions): Promise<boolean> {
  await rm(opts.moduleDir, { recursive: true, force: true });
  await mkdir(opts.moduleDir, { recursive: true });
  const committedMod = await readFile(path.join(committedModuleDir, 'go.mod'), 'utf8').catch(() => '');
  if (new RegExp(`^\\s*k8s\\.io/kubernetes v${opts.version.replace(/\./g, '\\.')}\\s*$`, 'm').test(committedMod)) {
    await copyFile(path.join(committedModuleDir, 'go.mod'), path.join(opts.moduleDir, 'go.mod'));
    await copyFile(path.join(committedModuleDir, 'go.sum'), path.join(opts.moduleDir, 'go.sum'));
    return true;
  }
  opts.onProgress(`reading the go.mod of k8s.io/kubernetes v${opts.version}`);
  const { stdout } = await execGo(opts, ['mod', 'download', '-json', `k8s.io/kubernetes@v${opts.version}`]);
  const info = JSON.parse(stdout) as { GoMod?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download k8s.io/kubernetes@v${opts.version}: ${info.Error ?? 'no go.mod'}`);
  const { goMod } = buildModule(opts.version, await readFile(info.GoMod, 'utf8'));
  await writeFile(path.join(opts.moduleDir, 'go.mod'), goMod);
  return false;
}

async function execGo(opts: GoBuildOptions, args: string[]): Promise<{ stdout: string }> {
  try {
    return await exec(opts.go, args, { cwd: opts.moduleDir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${opts.go} ${args.join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim().split('\n').slice(-10).join('\n')}`, { cause: err });
  }
}

const HEARTBEAT_MS = 60_000;

/** Runs `nice -n 19 go …` (plain `go` where nice is missing), passing its messages on as progress. */
async function runGo(opts: GoBuildOptions, args: string[]): Promise<void> {
  const niced = await exec('nice', ['-n', '19', 'true'], { timeout: 10_000 }).then(() => true, () => false);
  const started = Date.now();
  const tail: string[] = [];
  let downloads = 0;
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (!line.startsWith('go: downloading ')) opts.onProgress(line);
    else if (++downloads % 100 === 1) opts.onProgress(`go: downloading modules (${downloads} so far)…`);
  };
  const beat = setInterval(() => opts.onProgress(`still building (${Math.round((Date.now() - started) / 1000)} s)…`), HEARTBEAT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(niced ? 'nice' : opts.go, niced ? ['-n', '19', opts.go, ...args] : args, {
        cwd: opts.moduleDir, env: { ...process.env, CGO_ENABLED: '0' }, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}),
      });
      let buffered = '';
      const read = (d: Buffer) => {
        const lines = (buffered + d.toString()).split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        onLine(buffered);
        if (code === 0) resolve();
        else reject(new Error(`go build exited ${code ?? signal}:\n${tail.slice(-15).join('\n')}`));
      });
    });
  } finally {
    clearInterval(beat);
  }
}
