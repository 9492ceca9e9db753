import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import { goPlatform, releaseBinaries } from './layout.js';

/** Where the official binaries are: Kubernetes' release bucket and etcd's GitHub releases. */
export const officialSources = {
  release: 'https://dl.k8s.io/release',
  etcd: 'https://github.com/etcd-io/etcd/releases/download',
} as const;

/**
 * The download locations under a mirror: `<mirror>/release/vX.Y.Z/bin/<os>/<arch>/<name>` (+ `.sha256`),
 * laid out as dl.k8s.io/release, and `<mirror>/etcd/vA.B.C/etcd-vA.B.C-<os>-<arch>.tar.gz` (+ `SHA256SUMS`),
 * laid out as etcd's releases.
 */
export function mirrorSources(mirror: string | undefined): { release: string; etcd: string } {
  if (!mirror) return officialSources;
  const base = mirror.replace(/\/+$/, '');
  return { release: `${base}/release`, etcd: `${base}/etcd` };
}

/** A file whose checksum is not the published one: never installed, never retried from elsewhere silently. */
export class ChecksumMismatch extends Error {
  constructor(readonly url: string, readonly expected: string, readonly actual: string) {
    super(`${url}: sha256 ${actual} does not match the published ${expected}`);
  }
}

/** A download that could not happen (no network, 404): the next way is tried. */
export class DownloadUnavailable extends Error {}

export interface DownloadOptions {
  sources: { release: string; etcd: string };
  kubernetesVersion: string;
  etcdVersion: string;
  /** an empty folder that receives the verified binaries */
  staging: string;
  onProgress: (line: string) => void;
  signal?: AbortSignal;
  /** how long a server may stay silent (no answer, no byte of the body) before the download counts as unavailable (default 30 s) */
  stallMs?: number;
}

/** A mirror that accepts the connection and then says nothing (a black-holing proxy) must not hang the install. */
export const DEFAULT_STALL_MS = 30_000;

/** Downloads the four Kubernetes programs and etcd into `staging`, each verified against its sha256. */
export async function downloadRelease(opts: DownloadOptions): Promise<void> {
  const { os, arch } = goPlatform();
  for (const name of releaseBinaries) {
    const url = `${opts.sources.release}/v${opts.kubernetesVersion}/bin/${os}/${arch}/${name}`;
    const expected = firstHex(await fetchText(`${url}.sha256`, opts));
    opts.onProgress(`downloading ${url}`);
    await fetchVerified(url, expected, path.join(opts.staging, name), opts);
  }
  const tarName = `etcd-v${opts.etcdVersion}-${os}-${arch}.tar.gz`;
  const dir = `${opts.sources.etcd}/v${opts.etcdVersion}`;
  const sums = await fetchText(`${dir}/SHA256SUMS`, opts);
  const line = sums.split('\n').find((l) => l.trim().split(/\s+/)[1]?.replace(/^\*/, '') === tarName);
  if (!line) throw new DownloadUnavailable(`${dir}/SHA256SUMS lists no ${tarName}`);
  opts.onProgress(`downloading ${dir}/${tarName}`);
  const tarball = path.join(opts.staging, tarName);
  await fetchVerified(`${dir}/${tarName}`, firstHex(line), tarball, opts);
  await extractEtcd(tarball, opts.staging);
}

function firstHex(text: string): string {
  const hex = /^[0-9a-f]{64}\b/i.exec(text.trim())?.[0];
  if (!hex) throw new DownloadUnavailable(`not a sha256 checksum: ${text.slice(0, 80)}`);
  return hex.toLowerCase();
}

type Fetching = Pick<DownloadOptions, 'signal' | 'stallMs'>;

/**
 * A watchdog for one request: it aborts when the server stays silent for `stallMs` (no headers, or no
 * body byte since the last one); `poke()` on each chunk. The caller's own signal aborts it too.
 */
function stallWatch(url: string, o: Fetching) {
  const stallMs = o.stallMs ?? DEFAULT_STALL_MS;
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new DownloadUnavailable(`${url}: no answer for ${stallMs / 1000} s`));
    }, stallMs);
  };
  poke();
  const signal = o.signal ? AbortSignal.any([o.signal, controller.signal]) : controller.signal;
  return { signal, poke, stalled: () => stalled, stop: () => clearTimeout(timer), reason: () => controller.signal.reason as DownloadUnavailable };
}

async function fetchOk(url: string, o: Fetching, watch = stallWatch(url, o)): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: watch.signal });
  } catch (err) {
    watch.stop();
    if (watch.stalled()) throw watch.reason();
    if (o.signal?.aborted) throw err;
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new DownloadUnavailable(`${url}: ${cause ?? (err as Error).message}`);
  }
  watch.poke();
  if (!res.ok || !res.body) {
    watch.stop();
    throw new DownloadUnavailable(`${url}: HTTP ${res.status}`);
  }
  return res;
}

async function fetchText(url: string, o: Fetching): Promise<string> {
  const watch = stallWatch(url, o);
  try {
    return await (await fetchOk(url, o, watch)).text();
  } catch (err) {
    if (watch.stalled()) throw watch.reason();
    throw err;
  } finally {
    watch.stop();
  }
}

/**
 * Streams `url` to `file.part`, hashing as it goes, and renames it to `file` only when the sha256
 * matches: a refused or interrupted download leaves no file under the final name.
 */
async function fetchVerified(url: string, expected: string, file: string, o: Fetching): Promise<void> {
  const watch = stallWatch(url, o);
  const res = await fetchOk(url, o, watch);
  const hash = createHash('sha256');
  const part = `${file}.part`;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      watch.poke();
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(part, { mode: 0o600 }), { signal: watch.signal });
    } catch (err) {
      if (watch.stalled()) throw watch.reason();
      if (o.signal?.aborted) throw err;
      throw new DownloadUnavailable(`${url}: the transfer broke off (${(err as Error).message})`);
    } finally {
      watch.stop();
    }
    const actual = hash.digest('hex');
    if (actual !== expected) throw new ChecksumMismatch(url, expected, actual);
    await chmod(part, 0o755);
    await rename(part, file);
  } finally {
    await rm(part, { force: true });
  }
}

const exec = promisify(execFile);

/** Takes the `etcd` program out of etcd's release tarball (with the system's tar: every Linux has one). */
async function extractEtcd(tarball: string, staging: string): Promise<void> {
  const out = path.join(staging, 'etcd-release');
  await mkdir(out);
  try {
    await exec('tar', ['-xzf', tarball, '-C', out, '--strip-components=1', '--wildcards', '*/etcd'], { timeout: 120_000 });
    await rename(path.join(out, 'etcd'), path.join(staging, 'etcd'));
  } catch (err) {
    throw new DownloadUnavailable(`could not take etcd out of ${path.basename(tarball)}: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await rm(out, { recursive: true, force: true });
    await rm(tarball, { force: true });
  }
}
