import { encodeHistogram, newLatencyHistogram } from '../../src/results/histogram.js';
import type { LoadSample } from '../../src/results/types.js';

/** A synthetic one-second sample: `ok` answers and `failed` 503s, all with `latencyMs`. */
export function sample(sec: number, ok: number, failed = 0, opts: { latencyMs?: number; originMs?: number; generator?: number; stage?: number; failureAtMs?: number } = {}): LoadSample {
  const h = newLatencyHistogram();
  const us = Math.round((opts.latencyMs ?? 10) * 1000);
  for (let i = 0; i < ok + failed; i++) h.recordValue(us);
  const origin = opts.originMs ?? 0;
  const s: LoadSample = {
    t: origin + sec * 1000, sec, generator: opts.generator ?? 0, stage: opts.stage ?? 0,
    requests: ok + failed, ok, failures: { status: failed, timeout: 0, refused: 0, reset: 0, other: 0 },
    statusCodes: { ...(ok ? { 200: ok } : {}), ...(failed ? { 503: failed } : {}) }, bytes: 0, sent: ok + failed,
    latency: encodeHistogram(h), service: encodeHistogram(h), lagMaxMs: 0, elu: 0.1,
  };
  if (failed > 0) {
    s.firstFailureAt = origin + (opts.failureAtMs ?? sec * 1000 + 100);
    s.lastFailureAt = origin + (opts.failureAtMs ?? sec * 1000 + 900);
  }
  return s;
}
