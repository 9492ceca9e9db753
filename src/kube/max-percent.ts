import { parsePercent } from '../core/index.js';

/**
 * The most of `total` objects (pods, nodes) a fault may touch under its `maxPercent` guard; the
 * epsilon keeps 34% of 3 at 1 despite floating point.
 */
export function maxPercentCap(maxPercent: string, total: number): number {
  return Math.floor(parsePercent(maxPercent) * total + 1e-9);
}

/** Whether touching `count` of `total` objects goes past `maxPercent` (no guard: never). */
export function exceedsMaxPercent(count: number, total: number, maxPercent: string | undefined): boolean {
  return maxPercent !== undefined && count > maxPercentCap(maxPercent, total);
}
