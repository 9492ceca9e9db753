import type { AbortRule } from '../plan/index.js';
import { computeStats, type LoadSample } from '../results/index.js';
import { compare, metricOf } from './metrics.js';

export interface AbortHit {
  rule: AbortRule;
  value: number;
  /** offset of the end of the window, ms */
  atMs: number;
}

/**
 * Sliding-window abort rules: after each second, each rule's metric is computed over the
 * last `for` seconds together (merged histograms, summed counts) and the case is stopped when
 * the comparison holds. A rule needs a full window of load before it can fire.
 */
export class AbortWatch {
  private readonly recent: LoadSample[] = [];
  private readonly longest: number;

  constructor(private readonly rules: readonly AbortRule[]) {
    this.longest = Math.max(0, ...rules.map((r) => Math.round(r.windowMs / 1000)));
  }

  onSecond(merged: LoadSample): AbortHit | null {
    if (this.rules.length === 0) return null;
    this.recent.push(merged);
    if (this.recent.length > this.longest) this.recent.shift();
    for (const rule of this.rules) {
      const n = Math.round(rule.windowMs / 1000);
      if (this.recent.length < n) continue;
      const window = this.recent.slice(-n);
      const value = metricOf(computeStats(window, n), rule.metric);
      if (value !== null && compare(value, rule.op, rule.value)) return { rule, value, atMs: (merged.sec + 1) * 1000 };
    }
    return null;
  }
}
