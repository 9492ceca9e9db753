/** Linear scales and "nice" ticks (1, 2, 5 × 10ⁿ) for the report chart. */

export interface Scale {
  /** domain value → pixel */
  (value: number): number;
  ticks: number[];
}

export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

/** Ticks from 0 up to the first tick at or above `max`, which becomes the top of the axis. */
export function valueScale(max: number, fromPx: number, toPx: number, count = 5): Scale {
  const step = niceStep((max > 0 ? max : 1) / count);
  const ticks = [0];
  while ((ticks[ticks.length - 1] as number) < max) ticks.push(clean(ticks.length * step));
  const top = ticks[ticks.length - 1] || step;
  if (ticks.length === 1) ticks.push(top);
  const scale = ((v: number) => fromPx + ((toPx - fromPx) * v) / top) as Scale;
  scale.ticks = ticks;
  return scale;
}

/** A time scale over [min, max] seconds, ticks on round seconds. */
export function timeScale(min: number, max: number, fromPx: number, toPx: number, count = 8): Scale {
  const span = Math.max(max - min, 1e-9);
  const step = Math.max(niceStep(span / count), 1);
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t = clean(t + step)) ticks.push(clean(t));
  const scale = ((v: number) => fromPx + ((toPx - fromPx) * (v - min)) / span) as Scale;
  scale.ticks = ticks;
  return scale;
}

/** Drops floating-point dust (0.30000000000000004) so tick labels print as written. */
export function clean(v: number): number {
  return Number(v.toPrecision(10));
}

export function tickLabel(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Pixel coordinates with one decimal: enough for a screen, and stable across runs. */
export function px(v: number): string {
  return (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/**
 * A log₁₀ scale over [min, max] (both > 0), ticks on 1, 2, 5 × 10ⁿ (only 1 × 10ⁿ past two decades):
 * a 10 s timeout next to 5 ms answers leaves both readable, where a linear axis flattens the latter to 0.
 */
export function logScale(min: number, max: number, fromPx: number, toPx: number): Scale {
  const lo = 10 ** Math.floor(Math.log10(min > 0 ? min : 1));
  let hi = 10 ** Math.ceil(Math.log10(max > lo ? max : lo * 10));
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const mantissas = decades > 2 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let d = lo; d <= hi * 1.0001; d = clean(d * 10)) for (const m of mantissas) if (clean(d * m) <= hi * 1.0001) ticks.push(clean(d * m));
  const span = Math.log10(hi) - Math.log10(lo);
  const scale = ((v: number) => fromPx + ((toPx - fromPx) * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / span) as Scale;
  scale.ticks = ticks;
  return scale;
}
