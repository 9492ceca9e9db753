/** Nearest-rank percentile of an ascending array. */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * When the stall server answers a request arriving at `arrivalMs` (the rule of
 * bench/lib/target-server.ts): taken up at the end of a stall it arrives in, then held
 * `delayMs`; an answer falling due inside a stall leaves when that stall ends.
 */
export function answerAtMs(arrivalMs: number, stalls: ReadonlyArray<readonly [number, number]>, delayMs: number): number {
  const inside = (t: number) => stalls.find(([s, e]) => t >= s && t < e);
  const due = (inside(arrivalMs)?.[1] ?? arrivalMs) + delayMs;
  return inside(due)?.[1] ?? due;
}

export interface ExpectedLatency {
  count: number;
  /** requests whose answer a stall delayed */
  stalled: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The latency each request of an open-model schedule should see if sent at its intended
 * time: intended instants startMs + i·1000/rate before startMs + durationMs.
 */
export function expectedOpenModel(o: { startMs: number; durationMs: number; rateRps: number; delayMs: number; stalls: ReadonlyArray<readonly [number, number]> }): ExpectedLatency {
  const intervalMs = 1000 / o.rateRps;
  const latencies: number[] = [];
  for (let i = 0; o.startMs + i * intervalMs < o.startMs + o.durationMs; i++) {
    const t = o.startMs + i * intervalMs;
    latencies.push(answerAtMs(t, o.stalls, o.delayMs) - t);
  }
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    stalled: latencies.filter((l) => l > o.delayMs + 1e-6).length,
    p50: nearestRank(latencies, 50),
    p90: nearestRank(latencies, 90),
    p99: nearestRank(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
  };
}
