import { formatMs, round } from '../core/index.js';

/**
 * Display of the numbers every report shares. Locale-free on purpose: a report rendered twice
 * from the same run.json must be byte-identical, whatever machine renders it.
 */

export const NONE = '–';

/** 12345 → `12.3 s`: offsets and windows stay in one unit so columns compare at a glance. */
export function formatSeconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  return `${round(ms / 1000, 1).toFixed(1)} s`;
}

/**
 * Signed offset from the load origin: `+30.0 s`, `−2.5 s` (before the load started). Under a
 * second it keeps two decimals, so the conditions checked just before the load do not all
 * read `−0.0 s`.
 */
export function formatOffset(ms: number): string {
  if (!Number.isFinite(ms)) return NONE;
  const digits = Math.abs(ms) < 1000 && ms !== 0 ? 2 : 1;
  const text = round(Math.abs(ms) / 1000, digits).toFixed(digits);
  return `${ms < 0 ? '−' : '+'}${text} s`;
}

/** A window of offsets, in seconds: `30.0–45.0`. */
export function formatWindow(startMs: number, endMs: number): string {
  return `${round(startMs / 1000, 1).toFixed(1)}–${round(endMs / 1000, 1).toFixed(1)}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE;
  return String(n);
}

export function formatRate(rps: number | null | undefined): string {
  if (rps === null || rps === undefined || !Number.isFinite(rps)) return NONE;
  return round(rps, 1).toFixed(1);
}

export function formatLatency(ms: number | null | undefined): string {
  return formatMs(ms);
}

/** `2024-05-01T10:00:00.123Z` → `2024-05-01 10:00:00 UTC`; anything else is shown as given. */
export function formatDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Turns a case id into a file name and HTML id: plan ids are free text, paths are not. */
export function slug(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 80);
  return s === '' ? 'case' : s;
}

/** Slugs for a set of ids, made unique (`a_b`, `a_b-2`) since two ids may sanitize alike. */
export function uniqueSlugs(ids: readonly string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const id of ids) {
    if (out.has(id)) continue;
    const base = slug(id);
    let s = base;
    for (let n = 2; used.has(s.toLowerCase()); n++) s = `${base}-${n}`;
    used.add(s.toLowerCase());
    out.set(id, s);
  }
  return out;
}
