import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { isBoundedDuration, isShare, parseDuration, type Problem } from '../core/index.js';
import { isIncrease } from '../results/index.js';
import { ChaosSchema, FaultActionSchema, PlanSchema, ScenarioSchema } from './schema.js';
import { readAbortRule } from './abort-rule.js';
import { toProblem } from './error-wording.js';
import { httpUrlProblem } from './url-check.js';
import type { DocPath, YamlSource } from './yaml-source.js';

function createAjv(): Ajv {
  // optimize: false — Ajv's code optimiser costs ~400 ms at each start of crt, for a validator run once per file
  const ajv = new Ajv({ allErrors: true, discriminator: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, code: { optimize: false } });
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  // bounded: a longer duration overflows Node's timers; a percentage is a share of a whole
  ajv.addFormat('duration', { type: 'string', validate: isBoundedDuration });
  ajv.addFormat('percent', { type: 'string', validate: isShare });
  ajv.addFormat('every', { type: 'string', validate: isEvery });
  ajv.addFormat('http-url', { type: 'string', validate: (s: string) => httpUrlProblem(s) === null });
  ajv.addFormat('increase', { type: 'string', validate: (s: string) => isIncrease('p95', s) });
  ajv.addFormat('rate-increase', { type: 'string', validate: (s: string) => isIncrease('errorRate', s) });
  ajv.addFormat('regex', { type: 'string', validate: isRegex });
  // the whole rule, not only its shape: each rule of a case is then reported on its own
  ajv.addFormat('abort-rule', { type: 'string', validate: (s: string) => 'rule' in readAbortRule(s) });
  return ajv;
}

/** `every 30s`: a repeat needs a pause above 0. */
export function isEvery(s: string): boolean {
  const d = /^every\s+(\S+)$/.exec(s)?.[1];
  return d !== undefined && isBoundedDuration(d) && parseDuration(d) > 0;
}

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

const ajv = createAjv();
const compiled = new Map<TSchema, ValidateFunction>();

function validator(schema: TSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

export const schemas = { plan: PlanSchema, scenario: ScenarioSchema, chaos: ChaosSchema, action: FaultActionSchema } as const;

/**
 * Validates `value` against `schema` and returns every problem, located in `source`.
 * `base` is the document path of `value` inside the source (for values that are part of a file).
 */
export function validateAgainst(schema: TSchema, value: unknown, source: YamlSource, base: DocPath = []): Problem[] {
  const validate = validator(schema);
  if (validate(value)) return [];
  return translateErrors(validate.errors ?? [], source, base);
}

export function translateErrors(errors: readonly ErrorObject[], source: YamlSource, base: DocPath): Problem[] {
  const kept = pruneUnionNoise(errors);
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const p = toProblem(e, source, base);
    if (!p) continue;
    const key = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/**
 * Ajv reports every failing branch of a union. Keep the branch the value was evidently meant
 * for (an object value → the object branch), or else one "must be …" for the whole union.
 */
function pruneUnionNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const unions = errors.filter((e) => e.keyword === 'anyOf' || (e.keyword === 'oneOf' && !hasDiscriminator(e)));
  unions.sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (dropped.has(u)) continue;
    const prefix = `${u.schemaPath}/`;
    const branchErrors = errors.filter((e) => e.schemaPath.startsWith(prefix));
    const branches = ((u.parentSchema as { anyOf?: unknown[]; oneOf?: unknown[] }).anyOf ??
      (u.parentSchema as { oneOf?: unknown[] }).oneOf ??
      []) as Array<{ type?: string }>;
    const dataKind = Array.isArray(u.data) ? 'array' : u.data === null ? 'null' : typeof u.data;
    const matching = branches.map((b, i) => ({ b, i })).filter(({ b }) => b.type === dataKind);
    if ((dataKind === 'object' || dataKind === 'array') && matching.length === 1) {
      const keepPrefix = `${prefix}${matching[0]?.i}/`;
      for (const e of branchErrors) if (!e.schemaPath.startsWith(keepPrefix)) dropped.add(e);
      dropped.add(u);
    } else {
      for (const e of branchErrors) dropped.add(e);
    }
  }
  return errors.filter((e) => !dropped.has(e) && e.keyword !== 'if');
}

function hasDiscriminator(e: ErrorObject): boolean {
  return typeof (e.parentSchema as { discriminator?: unknown } | undefined)?.discriminator === 'object';
}
