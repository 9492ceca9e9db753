import { decodeHistogram, mergeBySecond, summarize, totalFailures, type CaseResult, type Phase, type TimeseriesRecord } from '../results/index.js';

/** One second of the chart: every generator and stage of that second merged. */
export interface ChartPoint {
  /** index of the second since the load started */
  sec: number;
  /** requests completed in that second, i.e. req/s */
  rps: number;
  /** failed requests in that second */
  errors: number;
  /** latency percentiles, ms; null when nothing completed in the second */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ChartBand {
  name: Phase;
  startSec: number;
  endSec: number;
}

export interface ChartMarker {
  /**
   * a fault injected or reverted; `client`: the clients' recovery (the last failure before a stable
   * streak); `cluster`: every affected workload available again (cluster view)
   */
  kind: 'inject' | 'revert' | 'client' | 'cluster';
  name: string;
  sec: number;
}

export interface ChartData {
  points: ChartPoint[];
  bands: ChartBand[];
  markers: ChartMarker[];
}

/**
 * Per-second series of one case. Percentiles come from each second's merged histogram, never
 * from averaging generators' percentiles. A second inside the load with no sample at all is a
 * second where nothing completed: it is drawn as zero req/s and no latency, not skipped,
 * so an outage shows as the gap it was.
 */
export function chartData(c: CaseResult, records: readonly TimeseriesRecord[]): ChartData {
  const merged = mergeBySecond(records.filter((r) => r.case === c.id));
  const bySec = new Map(merged.map((s) => [s.sec, s]));
  const points: ChartPoint[] = [];
  const first = merged[0]?.sec ?? 0;
  const last = merged[merged.length - 1]?.sec ?? -1;
  for (let sec = Math.min(0, first); sec <= last; sec++) {
    const s = bySec.get(sec);
    const l = s ? summarize(decodeHistogram(s.latency)) : null;
    points.push({
      sec,
      rps: s?.requests ?? 0,
      errors: s ? totalFailures(s.failures) : 0,
      p50: l?.p50 ?? null,
      p95: l?.p95 ?? null,
      p99: l?.p99 ?? null,
    });
  }
  const bands = c.phases.flatMap((p) =>
    p.name === 'whole' || p.endMs <= p.startMs ? [] : [{ name: p.name, startSec: p.startMs / 1000, endSec: p.endMs / 1000 }],
  );
  const markers: ChartMarker[] = c.events.flatMap((e) =>
    e.kind === 'inject' || e.kind === 'revert' ? [{ kind: e.kind, name: e.name ?? e.kind, sec: e.offsetMs / 1000 }] : [],
  );
  const r = c.recovery;
  if (r && r.impact && r.recoveredAtMs !== null) markers.push({ kind: 'client', name: 'recovered', sec: r.recoveredAtMs / 1000 });
  const cluster = c.recovery?.cluster;
  if (cluster && cluster.affected.length > 0 && cluster.recoveredAtMs !== null) markers.push({ kind: 'cluster', name: 'recovered', sec: cluster.recoveredAtMs / 1000 });
  // in time order, so that their numbers on the chart read left to right
  markers.sort((a, b) => a.sec - b.sec);
  return { points, bands, markers };
}
