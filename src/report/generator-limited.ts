import { formatPercent } from '../core/index.js';
import type { CaseResult } from '../results/index.js';
import type { Table } from './case-tables.js';
import { NONE, formatCount, formatLatency, formatWindow } from './format.js';

export const GENERATOR_LIMITED_TITLE = 'Generator-limited seconds';

/**
 * Said under the table: why these seconds' latency is not the service's alone, and what it did to
 * the expectations.
 */
export const GENERATOR_LIMITED_NOTE =
  'A load generator was saturated in these seconds (its thread busy at least 90 % of the second): the latency measured then ' +
  'includes the generator\'s own queueing and is shown as generator-limited. A latency expectation over a window holding them ' +
  'is inconclusive. Add generators, or run crt on a bigger machine.';

/** One row per second in which a generator was saturated: its latency marked generator-limited. */
export function generatorLimitedTable(c: CaseResult): Table | null {
  const seconds = c.load?.generatorLimited ?? [];
  if (seconds.length === 0) return null;
  const limited = (ms: number | undefined) => (ms === undefined ? NONE : `${formatLatency(ms)} generator-limited`);
  const rows = seconds.map((s) => [
    formatWindow(s.sec * 1000, (s.sec + 1) * 1000),
    formatCount(s.requests),
    limited(s.latency?.p50),
    limited(s.latency?.p99),
    formatPercent(s.elu, 0),
  ]);
  return { headers: ['second', 'requests', 'p50', 'p99', 'generator busy'], rows, numeric: [false, true, true, true, true] };
}
