/**
 * Durations (`30s`, `2m30s`, `500ms`, `1h`), percentages (`1%`, `0.5%`) and their display.
 * Hand-written: the grammar is ten lines and must match the JSON Schema patterns exactly,
 * which a general-purpose parser (ms, timestring) would not guarantee.
 */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
export const PERCENT_PATTERN = '^[0-9]+(\\.[0-9]+)?%$';

const durationRe = new RegExp(DURATION_PATTERN);
const percentRe = new RegExp(PERCENT_PATTERN);
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function isDuration(text: string): boolean {
  return durationRe.test(text);
}

/**
 * The longest duration a plan may give: 24 days. Node's timers hold at most 2^31−1 ms (24.8 days);
 * a longer one fires at once (TimeoutOverflowWarning), which would end a case after a few ms.
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;
/** MAX_DURATION_MS in the words of a message. */
export const MAX_DURATION_TEXT = '24 days (576h)';

/** A well-formed duration no longer than MAX_DURATION_MS. */
export function isBoundedDuration(text: string): boolean {
  return durationRe.test(text) && parseDuration(text) <= MAX_DURATION_MS;
}

/** Parses a duration into milliseconds; throws on malformed input (validate with isDuration first). */
export function parseDuration(text: string | number): number {
  if (text === 0 || text === '0') return 0;
  if (typeof text !== 'string' || !durationRe.test(text)) {
    throw new TypeError(`not a duration: ${String(text)}`);
  }
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Math.round(total * 1000) / 1000;
}

export function isPercent(text: string): boolean {
  return percentRe.test(text);
}

/** A percentage that is a share of a whole: 0% to 100%. */
export function isShare(text: string): boolean {
  return percentRe.test(text) && parsePercent(text) <= 1;
}

/** `1%` → 0.01 */
export function parsePercent(text: string): number {
  if (!percentRe.test(text)) throw new TypeError(`not a percentage: ${text}`);
  // 12 significant digits: 0.7% is 0.007, not 0.006999999999999999 (a verdict compares to it)
  return Number((Number(text.slice(0, -1)) / 100).toPrecision(12));
}

/** 150000 → `2m30s`, 1500 → `1.5s`, 12.3 → `12.3ms` */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${round(ms, ms < 10 ? 2 : ms < 100 ? 1 : 0)}ms`;
  if (ms < 59_950) return `${round(ms / 1000, 1)}s`;
  // round to whole seconds first, so 119.6 s is 2m, not 1m60s
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}

/** Latency display with a stable unit: milliseconds with up to 2 decimals. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return `${round(ms, ms < 10 ? 2 : ms < 100 ? 1 : 0)} ms`;
}

/** 0.0125 → `1.25%` */
export function formatPercent(ratio: number | null | undefined, digits = 2): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${round(ratio * 100, digits)}%`;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
