import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/core/index.js';
import type { ServerTruth, TargetMessage, TargetOptions, TargetRequest } from './lib/protocol.js';

export const NGINX_BIN = '/usr/sbin/nginx';

/** A loopback HTTP target running in a child process. */
export interface Target {
  name: string;
  url: string;
  port: number;
  /** the child's process id (the bench pins it to a core) */
  pid: number | undefined;
  /** Stops the child; idempotent. */
  stop(): Promise<void>;
}

/** A Node target (bench/lib/target-server.ts) that reports what it measured itself. */
export interface NodeTarget extends Target {
  /** server clock − benchmark clock (ms), estimated from the fastest of a few pings */
  readonly clockOffsetMs: number;
  /** Forgets hold times and stalls; a stall server starts its stall schedule from now. */
  reset(): Promise<void>;
  /**
   * Hold times and stalls since the last reset, stalls converted to the benchmark's clock;
   * only the hold times of answers sent at or after `sinceMs` (benchmark clock) when given.
   */
  truth(sinceMs?: number): Promise<ServerTruth>;
}

const BOOT_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
// a benchmark that crashes or is interrupted must not leave servers behind
process.on('exit', () => live.forEach((c) => c.kill()));

export const targetDefaults: TargetOptions = { kind: 'ok', delayMs: 0, firstStallMs: 2000, stallEveryMs: 5000, stallMs: 1000 };

export async function startNodeTarget(name: string, options: Partial<TargetOptions>): Promise<NodeTarget> {
  const opts = { ...targetDefaults, ...options };
  const child = fork(new URL('./lib/target-server.js', import.meta.url), [JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  const stop = stopper(child, () => (child.connected ? child.disconnect() : child.kill()));
  try {
    const [first] = (await once(child, 'message', { signal: AbortSignal.timeout(BOOT_TIMEOUT_MS) })) as [TargetMessage];
    if (first.type !== 'listening') throw new Error(`target ${name} said ${first.type} before listening`);
    const ask = requester(child, name);
    const clockOffsetMs = await estimateOffset(async () => (await ask('ping')).nowMs);
    return {
      name, port: first.port, pid: child.pid, url: `http://127.0.0.1:${first.port}/`, clockOffsetMs, stop,
      reset: async () => void (await ask('reset')),
      truth: async (sinceMs?: number) => {
        const { truth } = await ask('truth', sinceMs === undefined ? undefined : sinceMs + clockOffsetMs);
        if (!truth) throw new Error(`target ${name} sent no truth`);
        return { holds: truth.holds, stalls: truth.stalls.map(([s, e]) => [s - clockOffsetMs, e - clockOffsetMs]) };
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

type Reply = Extract<TargetMessage, { type: 'reply' }>;

/** Sends commands to a target child and pairs each reply by id; rejects if the child exits first. */
function requester(child: ChildProcess, name: string) {
  let nextId = 0;
  return (cmd: TargetRequest['cmd'], sinceMs?: number) =>
    new Promise<Reply>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (m: TargetMessage) => {
        if (m.type !== 'reply' || m.id !== id) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(m);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`target ${name} exited (code ${code}) before answering ${cmd}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, cmd, ...(sinceMs === undefined ? {} : { sinceMs }) } satisfies TargetRequest);
    });
}

/** NTP-style: offset = server time − midpoint of the round trip, from the fastest round trip. */
async function estimateOffset(ping: () => Promise<number>): Promise<number> {
  let best = { rttMs: Infinity, offsetMs: 0 };
  for (let i = 0; i < 20; i++) {
    const t0 = systemClock.now();
    const server = await ping();
    const t1 = systemClock.now();
    if (t1 - t0 < best.rttMs) best = { rttMs: t1 - t0, offsetMs: server - (t0 + t1) / 2 };
  }
  return best.offsetMs;
}

/**
 * nginx serving a two-byte static file from a temp prefix, one worker, in the foreground.
 * Returns null when nginx is not installed at NGINX_BIN.
 */
export async function startNginx(): Promise<Target | null> {
  if (!existsSync(NGINX_BIN)) return null;
  const dir = await mkdtemp(join(tmpdir(), 'crt-bench-nginx-'));
  // workers run as an unprivileged user when nginx starts as root: they must read the files
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'html'), { mode: 0o755 });
  await writeFile(join(dir, 'html', 'index.html'), 'ok', { mode: 0o644 });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConf(dir, port));
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = stopper(child, () => child.kill('SIGQUIT'), () => rm(dir, { recursive: true, force: true }));
  try {
    await waitForPort(port, child);
  } catch (err) {
    await stop();
    throw new Error(`nginx did not start: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return { name: 'nginx static', port, pid: child.pid, url: `http://127.0.0.1:${port}/`, stop };
}

function nginxConf(dir: string, port: number): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  # nginx closes a keep-alive connection after 1000 requests by default: benchmarks would measure reconnects
  keepalive_requests 100000000;
  keepalive_timeout 120s;
${temp}
  server {
    listen 127.0.0.1:${port};
    root ${join(dir, 'html')};
    location / { }
  }
}
`;
}

function stopper(child: ChildProcess, ask: () => void, cleanup: () => Promise<void> = async () => undefined) {
  let stopping: Promise<void> | null = null;
  return () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        ask();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      await cleanup();
    })());
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true));
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.destroy());
    });
    if (ok) return;
    await systemClock.sleep(50);
  }
  throw new Error(`nothing listens on port ${port} after ${BOOT_TIMEOUT_MS} ms`);
}
