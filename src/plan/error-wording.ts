import type { ErrorObject } from 'ajv';
import { isDuration, isPercent, MAX_DURATION_TEXT, parseDuration, type Problem } from '../core/index.js';
import { readAbortRule } from './abort-rule.js';
import { SECRET_KEY_HINTS } from './schema.js';
import { HEADER_NAME_PATTERN } from './schema-parts.js';
import { closest } from './suggest.js';
import { httpUrlProblem } from './url-check.js';
import { formatPath, pointerToPath, type DocPath, type YamlSource } from './yaml-source.js';

/**
 * Ajv errors in the words of a plan's author: "must be a duration such as 30s", "unknown key
 * "duraton"" with a did-you-mean, a hint fitted to what was written. One Ajv error → one problem
 * located at the key or value it is about.
 */

const FORMAT_MESSAGES: Record<string, string> = {
  duration: 'must be a duration such as 30s, 2m30s or 500ms',
  percent: 'must be a percentage such as 1% or 0.5%',
  every: 'must read "every <duration>", e.g. every 30s',
  increase: 'must be an allowed increase such as +20% (relative), +30s or +50ms (absolute), +25% or +5ms (whichever allows more), or off',
  'rate-increase': 'must be an allowed increase of the error rate in percentage points, such as +0.5%, or off',
  regex: 'must be a valid regular expression',
  'abort-rule': 'must read "<metric> <op> <value> for <duration>", e.g. "errorRate > 50% for 10s"',
  'http-url': 'must be an http:// or https:// URL with a valid host and a port from 1 to 65535',
};

const TIMER_HINT = 'crt waits with Node.js timers, which hold at most 24.8 days';

/**
 * A value of the right shape but outside what it means (`600h`, `150%`, `every 0s`, port 99999),
 * or an abort rule's own complaint: said in its own words rather than as a shape.
 */
function rangeProblem(format: string | undefined, data: unknown): { message: string; hint?: string } | null {
  if (typeof data !== 'string') return null;
  if (format === 'duration' && isDuration(data)) return { message: `must be at most ${MAX_DURATION_TEXT}`, hint: TIMER_HINT };
  if (format === 'percent' && isPercent(data)) return { message: 'must be a percentage from 0% to 100%', hint: `${data} is more than the whole` };
  if (format === 'every') {
    const d = /^every\s+(\S+)$/.exec(data)?.[1];
    if (d !== undefined && isDuration(d)) {
      return parseDuration(d) === 0
        ? { message: 'must repeat after a pause above 0, e.g. every 30s', hint: 'every 0s would repeat without pause' }
        : { message: `the interval must be at most ${MAX_DURATION_TEXT}`, hint: TIMER_HINT };
    }
  }
  if (format === 'abort-rule') {
    const read = readAbortRule(data);
    return 'rule' in read ? null : { message: read.message, ...(read.hint ? { hint: read.hint } : {}) };
  }
  if (format === 'http-url') {
    const problem = httpUrlProblem(data);
    return problem ? { message: FORMAT_MESSAGES['http-url'] as string, hint: problem } : null;
  }
  return null;
}

/** A hint fitted to what was written: `60` is not wrong the way `10 s` or `true` is. */
function formatHint(format: string | undefined, data: unknown): string | undefined {
  if (format === 'duration') {
    if (typeof data === 'number') return 'a number alone is ambiguous: add a unit (ms, s, m, h)';
    if (typeof data === 'string' && /[0-9]\s+[a-z]/i.test(data)) return 'write the unit right after the number, without a space: 10s, 1m30s';
    if (typeof data === 'string' && /^[0-9]/.test(data)) return 'the units are ms, s, m and h';
  }
  if ((format === 'increase' || format === 'rate-increase') && typeof data === 'string' && !data.startsWith('+') && data !== 'off') {
    return `an increase starts with +: +${data}`;
  }
  if (format === 'rate-increase' && typeof data === 'string' && isDuration(data.slice(1))) return 'the error rate is a share of requests: write points such as +0.5%';
  if (format === 'percent' && typeof data === 'number') {
    if (data > 0 && data < 1) return `write rates as percentages: ${Number((data * 100).toPrecision(12))}% rather than ${data}`;
    return `add the percent sign: ${data}%`;
  }
  return undefined;
}

/** The format of the first branch of a union that has one (`threshold(Duration)` → duration). */
function unionFormat(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as { anyOf?: Array<{ format?: string }>; oneOf?: Array<{ format?: string }> } | undefined;
  return (parent?.anyOf ?? parent?.oneOf ?? []).find((b) => typeof b.format === 'string')?.format;
}

function expected(e: ErrorObject): string | undefined {
  return (e.parentSchema as { 'x-expected'?: string } | undefined)?.['x-expected'];
}

export function toProblem(e: ErrorObject, source: YamlSource, base: DocPath): Problem | null {
  const at = [...base, ...pointerToPath(e.instancePath)];
  const parent = e.parentSchema as { properties?: Record<string, unknown>; format?: string; oneOf?: Array<{ properties?: Record<string, { const?: string }> }> } | undefined;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      return unknownKey(e, at, source);
    case 'required':
      return source.problem(at, `missing required key "${String((e.params as { missingProperty: string }).missingProperty)}"`, requiredHint(e));
    case 'discriminator': {
      const { error, tag, tagValue } = e.params as { error: string; tag: string; tagValue: unknown };
      const kinds = (parent?.oneOf ?? []).map((b) => b.properties?.[tag]?.const).filter((k): k is string => typeof k === 'string');
      if (error === 'tag' && tagValue === undefined) {
        return source.problem(at, `missing required key "${tag}"`, `${tag} is one of ${kinds.join(', ')}`);
      }
      const guess = typeof tagValue === 'string' ? closest(tagValue, kinds) : undefined;
      return source.problem([...at, tag], `must be one of ${kinds.join(', ')}`, guess ? `did you mean "${guess}"?` : undefined);
    }
    case 'anyOf':
    case 'oneOf': {
      const range = rangeProblem(unionFormat(e), e.data);
      if (range) return source.problem(at, range.message, range.hint);
      return source.problem(at, `must be ${expected(e) ?? 'one of the allowed forms'}`, formatHint(unionFormat(e), e.data));
    }
    case 'format': {
      const format = String((e.params as { format: string }).format);
      const range = rangeProblem(format, e.data);
      if (range) return source.problem(at, range.message, range.hint);
      return source.problem(at, FORMAT_MESSAGES[format] ?? `must be a valid ${format}`, formatHint(format, e.data));
    }
    case 'type': {
      const format = parent?.format;
      if (format && FORMAT_MESSAGES[format]) return source.problem(at, FORMAT_MESSAGES[format], formatHint(format, e.data));
      const x = expected(e);
      const type = String((e.params as { type: string }).type);
      if (at.length === 0) return source.problem(at, `the file must hold ${article(type)} of keys, not ${kindOf(e.data)}`);
      return source.problem(at, x ? `must be ${x}` : `must be ${article(type)}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minItems':
    case 'minLength':
      return source.problem(at, limitMessage(e));
    case 'const':
      return source.problem(at, `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`);
    case 'enum':
      return source.problem(at, `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`);
    case 'pattern':
      return source.problem(at, `must be ${expected(e) ?? describePattern(e)}`);
    case 'minProperties':
      return source.problem(at, 'must set at least one of max, min');
    default:
      return source.problem(at, e.message ?? `fails ${e.keyword}`);
  }
}

/** `unknown key "x"` with a did-you-mean, or for a map of names (targets:) what a name may be. */
function unknownKey(e: ErrorObject, at: DocPath, source: YamlSource): Problem {
  const parent = e.parentSchema as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> } | undefined;
  const key = String((e.params as { additionalProperty: string }).additionalProperty);
  const pos = source.keyPosition(at, key);
  const allowed = Object.keys(parent?.properties ?? {});
  const namePatterns = Object.keys(parent?.patternProperties ?? {});
  if (allowed.length === 0 && namePatterns.length === 1) {
    const words = PATTERN_WORDS[namePatterns[0] as string] ?? `of the form ${namePatterns[0]}`;
    return { file: source.display, ...pos, path: formatPath([...at, key]), message: `invalid name "${key}": must be ${words}`, severity: 'error' };
  }
  const secret = Object.hasOwn(SECRET_KEY_HINTS, key) ? SECRET_KEY_HINTS[key] : undefined;
  if (secret && allowed.includes(`${key}Env`)) {
    return { file: source.display, ...pos, path: formatPath([...at, key]), message: `a literal ${key} is not allowed here`, hint: secret, severity: 'error' };
  }
  const guess = closest(key, allowed);
  const hint = guess ? `did you mean "${guess}"?` : allowed.length <= 14 ? `allowed keys: ${allowed.join(', ')}` : undefined;
  return { file: source.display, ...pos, path: formatPath([...at, key]), message: `unknown key "${key}"`, ...(hint ? { hint } : {}), severity: 'error' };
}

/** `add apiVersion: crt/v1` for a constant; the choices for the tag of a tagged union (fault, probe). */
function requiredHint(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as { properties?: Record<string, { const?: unknown }>; discriminator?: { propertyName: string }; oneOf?: Array<{ properties?: Record<string, { const?: unknown }> }> } | undefined;
  const key = String((e.params as { missingProperty: string }).missingProperty);
  const value = parent?.properties?.[key]?.const;
  if (typeof value === 'string') return `add ${key}: ${value}`;
  if (parent?.discriminator?.propertyName === key) {
    const kinds = (parent.oneOf ?? []).map((b) => b.properties?.[key]?.const).filter((k) => typeof k === 'string');
    return `${key} is one of ${kinds.join(', ')}`;
  }
  return undefined;
}

function limitMessage(e: ErrorObject): string {
  const { comparison, limit } = e.params as { comparison?: string; limit: number };
  if (e.keyword === 'minItems') return limit === 1 ? 'must not be an empty list' : `must have at least ${limit} items`;
  if (e.keyword === 'minLength') return limit === 1 ? 'must not be empty' : `must have at least ${limit} characters`;
  const words: Record<string, string> = { '>=': 'at least', '>': 'greater than', '<=': 'at most', '<': 'less than' };
  return `must be ${words[comparison ?? ''] ?? comparison} ${limit}`;
}

/** What a pattern asks for, in words. (`description` documents the field: it is not an error message.) */
const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z][A-Za-z0-9._-]*$': 'letters, digits, ".", "_" or "-", starting with a letter',
  '^[A-Za-z0-9][A-Za-z0-9._-]*$': 'letters, digits, ".", "_" or "-", starting with a letter or digit',
  '^[A-Za-z][A-Za-z0-9_-]*$': 'letters, digits, "_" or "-", starting with a letter',
  '^/': 'a path starting with /',
  '^https?://': 'an http:// or https:// URL',
  '^https?://[^/@]+(/.*)?$': 'an http:// or https:// URL without credentials (user:password@ goes in the environment: see docs/guides/influxdb-grafana.md)',
  '^[A-Za-z_][A-Za-z0-9_]*$': 'the name of an environment variable (letters, digits, "_")',
  [HEADER_NAME_PATTERN]: 'an HTTP header name: letters, digits and !#$%&\'*+.^_`|~- only, no space or colon (RFC 9110 token)',
};

function describePattern(e: ErrorObject): string {
  const pattern = String((e.params as { pattern: string }).pattern);
  return PATTERN_WORDS[pattern] ?? `of the form ${pattern}`;
}

function kindOf(data: unknown): string {
  if (Array.isArray(data)) return 'a list';
  if (data === null) return 'null';
  return typeof data === 'string' ? 'a string' : typeof data === 'number' ? 'a number' : typeof data === 'boolean' ? 'a boolean' : typeof data;
}

function article(type: string): string {
  const map: Record<string, string> = { object: 'a map', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null' };
  return map[type] ?? type;
}
