import { performance } from 'node:perf_hooks';
import { UsageError } from '../core/index.js';
import type { GeneratorMessage, LoadEngine, PrepareContext, PreparedLoad, ResolvedLoad } from '../load/index.js';
import type { SessionSpec } from '../plan/index.js';
import { SessionClient } from './client.js';
import type { Dialer } from './connection.js';
import { SessionRecorder } from './recorder.js';
import { dialSse } from './sse.js';
import { dialTcp } from './tcp.js';
import { dialWebSocket } from './websocket.js';

/** Dialers by `sessions.protocol`. */
export const sessionProtocols = {
  websocket: dialWebSocket,
  tcp: dialTcp,
  sse: dialSse,
} satisfies Record<SessionSpec['protocol'], Dialer>;

/** A samples flush comes this long after each second ends, so that answers at its edge are in it. */
const FLUSH_DELAY_MS = 15;

/** The address a protocol dials: the target's http(s) URL with the scheme the protocol speaks. */
export function sessionUrl(url: string, protocol: SessionSpec['protocol']): URL {
  const u = new URL(url);
  if (protocol === 'websocket') u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u;
}

/**
 * Long-lived sessions (WebSocket, TCP lines, SSE): `connections` sessions per generator, opened
 * at `sessions.openRate` and held for the load's duration, each sending a message every
 * `sessions.interval` and timing its echo. Runs on the main thread: sessions wait on the network,
 * and timer precision at message intervals of 100 ms and more does not need a thread of its own.
 */
export class SessionEngine implements LoadEngine {
  readonly name = 'sessions';

  version(): Promise<string> {
    return Promise.resolve(`node ${process.versions.node}`);
  }

  prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    const spec = load.spec.sessions;
    const stage = load.spec.stages[0];
    if (!spec || !stage || load.spec.stages.length > 1 || stage.durationMs === null) {
      throw new UsageError('engine sessions needs sessions:, connections and a duration, in one stage', { hint: 'e.g. load: {engine: sessions, connections: 50, duration: 60s, sessions: {protocol: websocket}}' });
    }
    const durationMs = Math.min(stage.durationMs, ctx.maxStageMs);
    const url = sessionUrl(load.url, spec.protocol);
    const generators = load.spec.generators;
    return Promise.resolve({
      start: (originMs, signal) => runSessions({ spec, url, connections: stage.connections, durationMs, timeoutMs: load.spec.timeoutMs, generators, staggerMs: load.spec.staggerMs }, originMs, signal),
      dispose: () => Promise.resolve(),
    });
  }
}

interface Run {
  spec: SessionSpec;
  url: URL;
  connections: number;
  durationMs: number;
  timeoutMs: number;
  generators: number;
  staggerMs: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

/** Every generator's sessions, from second 0 at `originMs` to the end of the duration or the abort. */
async function* runSessions(run: Run, originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
  const queue: GeneratorMessage[] = [];
  let wake: (() => void) | null = null;
  const push = (m: GeneratorMessage) => {
    queue.push(m);
    wake?.();
  };
  const finished = Array.from({ length: run.generators }, (_, g) => runGenerator(run, g, originMs + g * run.staggerMs, originMs, signal, push));
  let done = 0;
  for (const f of finished) void f.then(() => { done++; wake?.(); });
  while (done < run.generators || queue.length > 0) {
    const m = queue.shift();
    if (m) {
      yield m;
      continue;
    }
    await new Promise<void>((resolve) => { wake = resolve; });
    wake = null;
  }
}

/** One generator: its clients, its per-second flushes, its end. Bounded by the duration and the signal. */
async function runGenerator(run: Run, generator: number, startMs: number, originMs: number, signal: AbortSignal, push: (m: GeneratorMessage) => void): Promise<void> {
  const rec = new SessionRecorder(originMs, generator);
  const clients: SessionClient[] = [];
  const endMs = startMs + run.durationMs;
  const settings = {
    url: run.url, dial: sessionProtocols[run.spec.protocol], intervalMs: run.spec.intervalMs, timeoutMs: run.timeoutMs,
    text: run.spec.message, backoff: run.spec.backoff, now: nowMs,
  };
  const state = () => ({ alive: clients.filter((c) => c.alive).length, expected: clients.length });
  const timers: NodeJS.Timeout[] = [];
  await sleepUntil(startMs, signal);
  push({ type: 'stage', generator, stage: 0, at: nowMs() });
  for (let i = 0; i < run.connections; i++) {
    const at = startMs + (i * 1000) / run.spec.openRate;
    if (at >= endMs) break;
    timers.push(setTimeout(() => {
      if (signal.aborted) return;
      const c = new SessionClient(settings, rec, at);
      clients.push(c);
      c.start();
    }, Math.max(0, at - nowMs())));
  }
  const flush = () => {
    const { upToSec, samples } = rec.flush(nowMs(), state());
    push({ type: 'samples', generator, upToSec, samples });
  };
  while (!signal.aborted && nowMs() < endMs) {
    const next = Math.min(endMs, originMs + (Math.floor((nowMs() - originMs) / 1000) + 1) * 1000 + FLUSH_DELAY_MS);
    await sleepUntil(next, signal);
    flush();
  }
  for (const t of timers) clearTimeout(t);
  for (const c of clients) c.stop();
  const { samples } = rec.flush(nowMs(), state(), true);
  push({ type: 'samples', generator, upToSec: Infinity, samples });
  push({ type: 'done', generator, at: nowMs() });
}

function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  const wait = atMs - nowMs();
  if (wait <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, wait);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
