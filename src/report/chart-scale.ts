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
