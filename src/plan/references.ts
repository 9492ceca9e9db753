import path from 'node:path';
import { ChaosSchema, FaultActionSchema, ScenarioSchema } from './schema.js';
import type { LoadDoc, ScenarioDoc } from './schema-load.js';
import type { FileSet } from './files.js';
import { validateAgainst } from './validate.js';
import { displayPath, type DocPath, type YamlSource } from './yaml-source.js';

/**
 * Scenario files (`load.scenario`, `extends`) and chaos files (`trigger[].ref`) referenced by a
 * plan. Relative paths are resolved from the folder of the file that holds the reference.
 */

/** Keys that replace each other: a case giving `url` drops the `target` of the defaults, and so on. */
const ALTERNATIVES: ReadonlyArray<readonly [string, string]> = [
  ['url', 'target'],
  ['body', 'json'],
];

/**
 * Merges load definitions: later ones win key by key, and a key replaces its alternative set
 * earlier; headers are merged too. (Both alternatives in one layer stay: normalizeLoad reports them.)
 */
export function mergeLoad(...layers: Array<Partial<LoadDoc> | undefined>): LoadDoc {
  const out: Record<string, unknown> = {};
  let headers: Record<string, string> | undefined;
  for (const layer of layers) {
    if (!layer) continue;
    for (const [a, b] of ALTERNATIVES) {
      if (layer[a as keyof LoadDoc] !== undefined && layer[b as keyof LoadDoc] === undefined) delete out[b];
      if (layer[b as keyof LoadDoc] !== undefined && layer[a as keyof LoadDoc] === undefined) delete out[a];
    }
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || k === 'extends' || k === '$schema' || k === 'name') continue;
      if (k === 'headers') headers = { ...headers, ...(v as Record<string, string>) };
      else out[k] = v;
    }
  }
  if (headers) out.headers = headers;
  return out;
}

/**
 * Loads a scenario and the chain of scenarios it extends, most basic first. Returns null when
 * any file of the chain is missing, invalid or part of a cycle (the problem is recorded).
 */
export function loadScenarioChain(files: FileSet, ref: string, from: { source: YamlSource; path: DocPath }): { docs: ScenarioDoc[]; file: string } | null {
  const chain: ScenarioDoc[] = [];
  const visited: string[] = [];
  let at = from;
  let target = path.resolve(path.dirname(from.source.file), ref);
  for (;;) {
    if (visited.includes(target)) {
      const cycle = [...visited.slice(visited.indexOf(target)), target].map((f) => path.basename(f)).join(' → ');
      files.error(at.source, at.path, `cyclic extends: ${cycle}`, 'a scenario cannot extend itself, directly or through others');
      return null;
    }
    visited.push(target);
    const loaded = files.load(target, ScenarioSchema, 'scenario file', at);
    if (!loaded || !loaded.valid) return null;
    const doc = loaded.value as ScenarioDoc;
    chain.unshift(doc);
    if (!doc.extends) break;
    at = { source: loaded.source, path: ['extends'] };
    target = path.resolve(path.dirname(loaded.file), doc.extends);
  }
  return { docs: chain, file: visited[0] as string };
}

/**
 * Resolves a `ref:` timeline entry: the chaos file's fault definition with the plan's keys
 * (other than `at` and `ref`) on top, validated as a whole. Returns null on problems.
 */
export function resolveChaosRef(
  files: FileSet,
  entry: Record<string, unknown>,
  from: { source: YamlSource; path: DocPath },
): { action: Record<string, unknown>; file: string } | null {
  const ref = String(entry.ref);
  const target = path.resolve(path.dirname(from.source.file), ref);
  const loaded = files.load(target, ChaosSchema, 'chaos file', { source: from.source, path: [...from.path, 'ref'] });
  if (!loaded || !loaded.valid) return null;
  const { ref: _ref, ...overrides } = entry;
  const merged = { ...(loaded.value as Record<string, unknown>), ...overrides };
  // env: of a ref step keeps its references for an exec fault (src/plan/env.ts); any other fault gets the values
  if (merged.fault !== 'exec' && merged.env && typeof merged.env === 'object') {
    merged.env = Object.fromEntries(Object.entries(merged.env).map(([k, v]) => [k, typeof v === 'string' ? files.expand(v) : v]));
  }
  const problems = validateAgainst(FaultActionSchema, merged, from.source, from.path);
  if (problems.length > 0) {
    files.problems.push(...problems.map((p) => ({ ...p, message: `${p.message} (with ${displayPath(target)})` })));
    return null;
  }
  return { action: merged, file: target };
}
