import hdr from 'hdr-histogram-js';
import type { LatencySummary } from './types.js';

export type Histogram = ReturnType<typeof hdr.build>;

/**
 * Latency histograms hold microseconds with 3 significant digits (0.1 % resolution) and
 * grow as needed, so a 10-minute stall is recorded as it is, not clamped.
 */
export function newLatencyHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Compressed base64 (HdrHistogram's portable V2 encoding); "" for an empty histogram. */
export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  if (encoded === '') return newLatencyHistogram();
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  h.autoResize = true;
  return h;
}

/** Exact merge: counts of every bucket are added, so percentiles of the merge are true percentiles. */
export function mergeHistograms(encoded: Iterable<string>): Histogram {
  const total = newLatencyHistogram();
  for (const e of encoded) {
    if (e !== '') total.add(decodeHistogram(e));
  }
  return total;
}

export function mergeEncoded(encoded: Iterable<string>): string {
  return encodeHistogram(mergeHistograms(encoded));
}

const usToMs = (us: number): number => Math.round(us) / 1000;

/** Summary in milliseconds; null when nothing was recorded. */
export function summarize(h: Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  return {
    count: h.totalCount,
    min: usToMs(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    mean: usToMs(h.mean),
    p50: usToMs(h.getValueAtPercentile(50)),
    p75: usToMs(h.getValueAtPercentile(75)),
    p90: usToMs(h.getValueAtPercentile(90)),
    p95: usToMs(h.getValueAtPercentile(95)),
    p99: usToMs(h.getValueAtPercentile(99)),
    max: usToMs(h.maxValue),
  };
}
