import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { nearestRank } from './truth.js';
import type { HoldSummary, ServerTruth, TargetMessage, TargetOptions, TargetRequest } from './protocol.js';

/**
 * A loopback target in its own process, so that serving never competes with the load
 * generator for an event loop. Started by bench/servers.ts with its options as argv[2];
 * says `listening` with its port, answers `ping`, `reset` and `truth` over IPC, and exits
 * when its parent disconnects.
 */
const opts = JSON.parse(process.argv[2] ?? '{}') as TargetOptions;
const send = (m: TargetMessage) => process.send?.(m);
// the same instants as crt's systemClock, so the parent can compare them after an offset estimate
const nowMs = () => performance.timeOrigin + performance.now();

/** hold time of every answer since the last reset, with the instant it was sent */
let holds: Array<{ endMs: number; holdMs: number }> = [];
let stalls: Array<[number, number]> = [];
let stalled = false;
let held: Array<() => void> = [];
let stallTimer: NodeJS.Timeout | null = null;

function handle(_req: http.IncomingMessage, res: http.ServerResponse): void {
  if (opts.kind === 'ok') {
    res.end('ok');
    return;
  }
  const arrived = process.hrtime.bigint();
  const answer = () => {
    res.end('ok');
    holds.push({ endMs: nowMs(), holdMs: Number(process.hrtime.bigint() - arrived) / 1e6 });
  };
  // stall: a request that arrives during a stall is only taken up when it ends; an answer
  // that falls due during a stall is held until it ends
  if (opts.kind === 'stall' && stalled) held.push(() => setTimeout(answer, opts.delayMs));
  else setTimeout(() => (opts.kind === 'stall' && stalled ? held.push(answer) : answer()), opts.delayMs);
}

/** Stalls at anchor + first + k·every, each `stallMs` long, scheduled from the clock so they do not drift. */
function scheduleStalls(anchorMs: number, k: number): void {
  const startAt = anchorMs + opts.firstStallMs + k * opts.stallEveryMs;
  stallTimer = setTimeout(() => {
    stalled = true;
    const start = nowMs();
    stallTimer = setTimeout(() => {
      stalled = false;
      stalls.push([start, nowMs()]);
      const release = held;
      held = [];
      for (const fn of release) fn();
      scheduleStalls(anchorMs, k + 1);
    }, opts.stallMs);
  }, Math.max(0, startAt - nowMs()));
}

function summarize(values: number[]): HoldSummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, min: sorted[0] ?? NaN, p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

function reset(): void {
  holds = [];
  stalls = [];
  if (opts.kind !== 'stall') return;
  if (stallTimer) clearTimeout(stallTimer);
  stalled = false;
  const release = held;
  held = [];
  for (const fn of release) fn();
  scheduleStalls(nowMs(), 0);
}

const server = http.createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));

process.on('message', (m: TargetRequest) => {
  if (m.cmd === 'reset') reset();
  const since = m.cmd === 'truth' ? (m.sinceMs ?? -Infinity) : 0;
  const truth: ServerTruth | undefined = m.cmd === 'truth' ? { holds: summarize(holds.filter((h) => h.endMs >= since).map((h) => h.holdMs)), stalls } : undefined;
  send({ type: 'reply', id: m.id, nowMs: nowMs(), ...(truth ? { truth } : {}) });
});
process.on('disconnect', () => {
  if (stallTimer) clearTimeout(stallTimer);
  server.closeAllConnections();
  server.close();
});
