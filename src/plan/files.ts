import path from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { expandVariables, type Problem } from '../core/index.js';
import { substituteEnv } from './env.js';
import { MAX_EXPANDED_BYTES, exceedsSize, readPlanFile } from './read-file.js';
import { validateAgainst } from './validate.js';
import { YamlSource, displayPath, type DocPath } from './yaml-source.js';

const QUOTED_VARIABLE_HINT = 'a quoted "${…}" stays a string: write it unquoted (in block style) to get a number or a boolean';

/** A YAML file read, env-substituted and validated against its schema. */
export interface LoadedFile {
  file: string;
  source: YamlSource;
  /** the document as plain data; meaningful only when `valid` */
  value: unknown;
  valid: boolean;
}

/**
 * Reads every YAML file of a plan once (plan, scenarios, chaos files) and keeps every problem
 * found in any of them, so one `crt validate` reports them all.
 */
export class FileSet {
  readonly problems: Problem[] = [];
  /** secret values substituted into any of the files (src/plan/env.ts): never to be written */
  readonly secrets = new Set<string>();
  private readonly cache = new Map<string, LoadedFile | null>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /**
   * Loads `file` against `schema`. When the file does not exist, the problem is reported at
   * `refAt` (the place that referenced it) and null is returned.
   */
  load(file: string, schema: TSchema, what: string, refAt?: { source: YamlSource; path: DocPath }): LoadedFile | null {
    const abs = path.resolve(file);
    if (this.cache.has(abs)) return this.cache.get(abs) ?? null;
    const read = readPlanFile(abs, what);
    if ('problem' in read) {
      const { message, hint = refAt && read.missing ? 'paths are relative to the file that references them' : undefined } = read.problem;
      if (refAt) this.problems.push(refAt.source.problem(refAt.path, message, hint));
      else this.problems.push({ file: displayPath(abs), line: read.problem.line ?? 1, col: read.problem.col ?? 1, path: '', message, ...(hint ? { hint } : {}), severity: 'error' });
      this.cache.set(abs, null);
      return null;
    }
    const source = new YamlSource(abs, read.text);
    const syntax = source.syntaxProblems();
    this.problems.push(...syntax);
    if (syntax.some((p) => p.severity === 'error')) {
      const loaded = { file: abs, source, value: undefined, valid: false };
      this.cache.set(abs, loaded);
      return loaded;
    }
    const { problems: envProblems, quotedPaths, secrets } = substituteEnv(source, this.env);
    this.problems.push(...envProblems);
    for (const secret of secrets) this.secrets.add(secret);
    let value: unknown;
    try {
      value = source.toJS();
    } catch (err) {
      // yaml refuses documents whose aliases expand beyond maxAliasCount ("billion laughs")
      this.problems.push({ file: source.display, line: 1, col: 1, path: '', message: `YAML: ${(err as Error).message}`, severity: 'error' });
      const loaded = { file: abs, source, value: undefined, valid: false };
      this.cache.set(abs, loaded);
      return loaded;
    }
    // within yaml's alias count, a big anchor repeated by aliases still expands (into run.json, the reports)
    if (exceedsSize(value, MAX_EXPANDED_BYTES)) {
      this.problems.push({
        file: source.display, line: 1, col: 1, path: '', severity: 'error',
        message: `the ${what} expands to more than ${MAX_EXPANDED_BYTES / 1024 / 1024} MiB once its aliases (*name) are resolved`,
        hint: 'an alias repeats its anchor in full wherever it is used: repeat less',
      });
      const loaded = { file: abs, source, value: undefined, valid: false };
      this.cache.set(abs, loaded);
      return loaded;
    }
    // a value whose variable could not be substituted is reported once, for the variable
    const unsubstituted = new Set(envProblems.map((p) => p.path));
    const schemaProblems = (
      value === null || value === undefined
        ? [{ file: source.display, line: 1, col: 1, path: '', message: `the ${what} is empty`, severity: 'error' as const }]
        : validateAgainst(schema, value, source)
    )
      .filter((p) => !unsubstituted.has(p.path))
      .map((p) => (quotedPaths.has(p.path) && /^must be (an integer|a number|true or false)/.test(p.message) ? { ...p, hint: QUOTED_VARIABLE_HINT } : p));
    this.problems.push(...schemaProblems);
    const loaded = { file: abs, source, value, valid: envProblems.length === 0 && schemaProblems.length === 0 };
    this.cache.set(abs, loaded);
    return loaded;
  }

  /** `text` with its `${…}` references replaced from the plan's environment (what substitution left for a command). */
  expand(text: string): string {
    return expandVariables(text, this.env).text;
  }

  error(source: YamlSource, at: DocPath, message: string, hint?: string): void {
    this.problems.push(source.problem(at, message, hint));
  }

  warn(source: YamlSource, at: DocPath, message: string, hint?: string): void {
    this.problems.push(source.problem(at, message, hint, 'warning'));
  }

  hasErrors(): boolean {
    return this.problems.some((p) => p.severity === 'error');
  }
}
