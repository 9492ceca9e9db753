import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, UsageError, etcdVersion as pinnedEtcd, kubernetesVersion as pinnedKubernetes } from '../../core/index.js';
import { ChecksumMismatch, DownloadUnavailable, downloadRelease, mirrorSources } from './download.js';
import { goBuild, goVersion } from './go-build.js';
import { cacheRoot, kubernetesBinaries, normalizeVersion, versionLayout } from './layout.js';
import { mismatch, type Expected } from './probe.js';

export type InstallSource = 'cache' | 'from' | 'kubebuilder-assets' | 'download' | 'build';

export interface InstallOptions {
  /** X.Y.Z (default: the pinned release) */
  kubernetesVersion?: string;
  /** a folder holding the five programs (`--from`); an error when they are another release */
  from?: string;
  /** base URL of a mirror of the release downloads (default: CRT_KUBERNETES_MIRROR, then the official locations) */
  mirror?: string;
  /** false: do not try the download */
  download?: boolean;
  /** the go command; null: do not build (default `go`) */
  go?: string | null;
  /** CRT_CACHE, KUBEBUILDER_ASSETS, CRT_KUBERNETES_MIRROR (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** called with one line for each step a person waits on */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** how long a download server may stay silent before the download counts as unavailable (default 30 s) */
  downloadStallMs?: number;
}

export interface InstallResult {
  kubernetesVersion: string;
  /** the folder holding the five programs: first on PATH to use them */
  bin: string;
  source: InstallSource;
}

/**
 * Puts kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd of one Kubernetes
 * release into `<cache>/kubernetes/<version>/bin`, taking the first way that works: the cache itself,
 * `--from` or `$KUBEBUILDER_ASSETS` when their versions match, the official release downloads (each
 * verified against its published sha256), a `go build` of the release's modules. Idempotent: a
 * complete cache is used as it is.
 */
export async function installKubernetes(opts: InstallOptions = {}): Promise<InstallResult> {
  const env = opts.env ?? process.env;
  const progress = opts.onProgress ?? (() => {});
  const version = normalizeVersion(opts.kubernetesVersion ?? pinnedKubernetes);
  if (!version) throw new UsageError(`not a Kubernetes release version: ${opts.kubernetesVersion}`, { hint: `X.Y.Z, e.g. ${pinnedKubernetes}` });
  const layout = versionLayout(cacheRoot(env), version);
  const expected: Expected = { kubernetes: version, ...(version === pinnedKubernetes ? { etcd: pinnedEtcd } : {}) };
  const done = (source: InstallSource): InstallResult => ({ kubernetesVersion: version, bin: layout.bin, source });

  if (!(await mismatch(layout.bin, expected))) return done('cache');
  const tried: string[] = [];

  if (opts.from) {
    const wrong = await mismatch(opts.from, expected);
    if (wrong) throw new EnvironmentError(`--from ${opts.from} does not hold Kubernetes v${version}: ${wrong}`, { hint: `give a folder with the five programs of v${version}, or --kubernetes-version to match the folder` });
    await fill(layout.dir, layout.bin, expected, (staging) => copyAll(opts.from!, staging));
    return done('from');
  }
  if (env.KUBEBUILDER_ASSETS) {
    const wrong = await mismatch(env.KUBEBUILDER_ASSETS, expected);
    if (!wrong) {
      progress(`copying Kubernetes v${version} from KUBEBUILDER_ASSETS=${env.KUBEBUILDER_ASSETS}`);
      await fill(layout.dir, layout.bin, expected, (staging) => copyAll(env.KUBEBUILDER_ASSETS!, staging));
      return done('kubebuilder-assets');
    }
    tried.push(`KUBEBUILDER_ASSETS=${env.KUBEBUILDER_ASSETS}: ${wrong}`);
    progress(`not using KUBEBUILDER_ASSETS: ${wrong}`);
  } else tried.push('KUBEBUILDER_ASSETS is not set and no --from was given');

  const downloaded = await tryDownload(opts, env, layout, expected, progress, tried);
  if (downloaded) return done('download');

  const go = opts.go === undefined ? 'go' : opts.go;
  const goVer = go ? await goVersion(go) : undefined;
  if (go && goVer) {
    const started = Date.now();
    try {
      await fill(layout.dir, layout.bin, expected, (staging) => goBuild({ go, version, moduleDir: layout.build, staging, onProgress: progress, ...(opts.signal ? { signal: opts.signal } : {}) }));
    } catch (err) {
      throw new EnvironmentError(`building Kubernetes v${version} with ${goVer} failed: ${(err as Error).message}`, { hint: 'Go must be at least the go directive of k8s.io/kubernetes\'s go.mod, and the Go module proxy reachable; or give --from or KUBEBUILDER_ASSETS' });
    }
    progress(`built Kubernetes v${version} in ${Math.round((Date.now() - started) / 1000)} s`);
    return done('build');
  }
  tried.push(go ? `${go} is not on PATH` : 'building was turned off');
  throw new EnvironmentError(`no way to get Kubernetes v${version}:\n  ${tried.join('\n  ')}`, {
    hint: `three ways: (1) --from DIR or KUBEBUILDER_ASSETS=DIR holding kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd of v${version}; `
      + '(2) a reachable download (--mirror URL or CRT_KUBERNETES_MIRROR for a mirror of dl.k8s.io/release and etcd\'s releases); '
      + '(3) Go on PATH (https://go.dev/dl) with the Go module proxy reachable, to build them',
  });
}

async function tryDownload(opts: InstallOptions, env: NodeJS.ProcessEnv, layout: ReturnType<typeof versionLayout>, expected: Expected, progress: (line: string) => void, tried: string[]): Promise<boolean> {
  if (opts.download === false) {
    tried.push('downloading was turned off (--no-download)');
    return false;
  }
  if (!expected.etcd) {
    const why = `download: the etcd release of Kubernetes v${expected.kubernetes} is only known for the pinned v${pinnedKubernetes} (a build reads it from the release's go.mod)`;
    tried.push(why);
    progress(why);
    return false;
  }
  const sources = mirrorSources(opts.mirror ?? env.CRT_KUBERNETES_MIRROR);
  try {
    await fill(layout.dir, layout.bin, expected, (staging) => downloadRelease({
      sources, kubernetesVersion: expected.kubernetes, etcdVersion: expected.etcd!, staging, onProgress: progress, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.downloadStallMs ? { stallMs: opts.downloadStallMs } : {}),
    }));
    return true;
  } catch (err) {
    if (err instanceof ChecksumMismatch) {
      throw new EnvironmentError(`refused a download whose checksum is wrong: ${err.message}`, { hint: 'nothing was installed; the mirror may be corrupt or tampered with (--mirror, CRT_KUBERNETES_MIRROR)' });
    }
    if (!(err instanceof DownloadUnavailable)) throw err;
    tried.push(`download: ${err.message}`);
    progress(`download unavailable: ${err.message}`);
    return false;
  }
}

async function copyAll(from: string, staging: string): Promise<void> {
  for (const name of kubernetesBinaries) await copyFile(path.join(from, name), path.join(staging, name));
}

/**
 * Lets `produce` write the programs into a fresh staging folder beside `bin`, checks their versions,
 * then renames them into `bin`: a failed or interrupted install never puts an unchecked or partly
 * written program there (the cache check runs every program again, so a half-filled bin is redone).
 */
async function fill(dir: string, bin: string, expected: Expected, produce: (staging: string) => Promise<void>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(path.join(dir, '.staging-'));
  try {
    await produce(staging);
    const wrong = await mismatch(staging, expected);
    if (wrong) throw new EnvironmentError(`the programs obtained are not Kubernetes v${expected.kubernetes}: ${wrong}`);
    await mkdir(bin, { recursive: true });
    for (const name of kubernetesBinaries) await rename(path.join(staging, name), path.join(bin, name));
    await writeFile(path.join(dir, 'installed.json'), `${JSON.stringify({ ...expected, at: new Date().toISOString(), files: await readdir(bin) }, null, 2)}\n`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
