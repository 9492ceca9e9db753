import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../core/index.js';
import type { FileSet } from './files.js';
import { namedFileProblem } from './read-file.js';
import type { LoadDoc } from './schema-load.js';
import { closest } from './suggest.js';
import { normalizeSessions } from './normalize-sessions.js';
import type { LoadSpec, Location, StageSpec, StatusRange, Target } from './types.js';
import { formatPath, type DocPath, type YamlSource } from './yaml-source.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_OK_STATUS = ['2xx', '3xx'];

export function location(source: YamlSource, p: DocPath): Location {
  return { file: source.display, ...source.position(p), path: formatPath(p) };
}

/**
 * Connections used by an open-model stage that does not set them: enough for each connection
 * to carry a request every 250 ms, so latency up to 250 ms does not make sends queue.
 * (When it does, crt warns: the schedule fell behind and `lagMaxMs` shows by how much.)
 */
export function defaultOpenConnections(rateRps: number): number {
  return Math.min(256, Math.max(2, Math.ceil(rateRps / 4)));
}

export function parseStatusRanges(list: ReadonlyArray<string | number>): StatusRange[] {
  return list.map((m): StatusRange => {
    if (typeof m === 'number') return [m, m];
    if (/^[1-5]xx$/.test(m)) {
      const base = Number(m[0]) * 100;
      return [base, base + 99];
    }
    const [lo, hi] = m.split('-').map(Number) as [number, number | undefined];
    return [lo, hi ?? lo];
  });
}

/**
 * Turns a merged load definition (defaults ← scenario chain ← inline) into a LoadSpec.
 * Problems are reported at `at` (the case's `load:`), where the user can act on them.
 */
export function normalizeLoad(
  doc: LoadDoc,
  ctx: {
    files: FileSet; source: YamlSource; at: DocPath; targets: Record<string, Target>; scenarioFile: string | null;
    /** `script:` resolved to an absolute path by the caller (relative to the file that set it) */
    scriptFile?: string | null;
    /** whether the plan declares a cluster: (distributed load runs in it) */
    hasCluster?: boolean;
  },
): LoadSpec | null {
  const { files, source, at } = ctx;
  const errorsBefore = files.problems.length;
  const err = (message: string, hint?: string, key?: string) => files.error(source, key ? [...at, key] : at, message, hint);

  checkTargetFields(doc, ctx.targets, err);
  checkEngineFields(doc, ctx, err);
  const sessions = normalizeSessions(doc, err);

  const stages = doc.script && !hasLoadShape(doc) ? [scriptStage(doc)] : normalizeStages(doc, err);
  if (files.problems.length > errorsBefore || !stages) return null;

  return loadSpecOf(doc, ctx, stages, sessions);
}

type ReportProblem = (message: string, hint?: string, key?: string) => void;

/** One of url and target, a target the plan declares, one of body and json, generators for autocannon only. */
function checkTargetFields(doc: LoadDoc, targets: Record<string, Target>, err: ReportProblem): void {
  if (doc.url && doc.target) err('give either url or target (with path), not both', undefined, 'url');
  if (!doc.url && !doc.target) err('the load needs a target (a name from targets:) or an absolute url', 'set load.target, or defaults.load.target for every case');
  // own properties only: a target named constructor or toString is not Object.prototype's
  if (doc.target && !Object.hasOwn(targets, doc.target)) {
    const names = Object.keys(targets);
    const guess = closest(doc.target, names);
    err(`unknown target "${doc.target}"`, guess ? `did you mean "${guess}"?` : names.length ? `targets are ${names.join(', ')}` : 'declare it under targets:', 'target');
  }
  if (doc.body !== undefined && doc.json !== undefined) err('give either body or json, not both', undefined, 'json');
  if (doc.engine === 'k6' && doc.generators !== undefined && doc.generators > 1) {
    err('generators > 1 is an autocannon setting; k6 spreads its VUs itself', undefined, 'generators');
  }
}

/** The LoadSpec of a load whose problems were all reported: defaults filled in, json as the body. */
function loadSpecOf(doc: LoadDoc, ctx: Parameters<typeof normalizeLoad>[1], stages: LoadSpec['stages'], sessions: LoadSpec['sessions'] | null): LoadSpec {
  const { files, source, at } = ctx;
  const headers = { ...(doc.headers ?? {}) };
  let body: string | null = doc.body ?? null;
  if (doc.json !== undefined) {
    body = JSON.stringify(doc.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  // distributed: each worker in the cluster is one generator of the merged result
  const generators = doc.distributed?.generators ?? doc.generators ?? 1;
  if (doc.stagger && generators === 1) files.warn(source, [...at, 'stagger'], 'stagger has no effect with a single generator');

  return {
    engine: doc.engine ?? 'autocannon',
    target: doc.target ?? null,
    url: doc.url ?? null,
    path: doc.path ?? '/',
    method: doc.method ?? (body === null ? 'GET' : 'POST'),
    headers,
    body,
    timeoutMs: doc.timeout ? parseDuration(doc.timeout) : DEFAULT_REQUEST_TIMEOUT_MS,
    okStatus: parseStatusRanges(doc.okStatus ?? DEFAULT_OK_STATUS),
    // header names are case-insensitive: responses are matched in lower case
    servedBy: doc.servedBy?.toLowerCase() ?? null,
    stages,
    generators,
    staggerMs: doc.stagger ? parseDuration(doc.stagger) : 0,
    scenarioFile: ctx.scenarioFile,
    description: doc.description ?? null,
    script: ctx.scriptFile ?? null,
    // a bare name is looked up on PATH; a path is relative to the plan file
    k6Binary: doc.k6Binary?.includes('/') ? path.resolve(path.dirname(source.file), doc.k6Binary) : (doc.k6Binary ?? 'k6'),
    k6: { extraArgs: [...(doc.k6?.extraArgs ?? [])], env: { ...(doc.k6?.env ?? {}) } },
    distributed: doc.distributed
      ? { generators: doc.distributed.generators, on: 'cluster', via: doc.distributed.via ?? 'job', image: doc.distributed.image ?? null, namespace: doc.distributed.namespace ?? 'default',
        startTimeoutMs: doc.distributed.startTimeout ? parseDuration(doc.distributed.startTimeout) : DEFAULT_DISTRIBUTED_START_TIMEOUT_MS }
      : null,
    ...(sessions ? { sessions } : {}),
    location: location(source, at),
  };
}

/** Time distributed generators get to start: scheduling, an image pull on a cold node, a mesh sidecar. */
export const DEFAULT_DISTRIBUTED_START_TIMEOUT_MS = 120_000;

/** k6-only fields with another engine, a missing script file, distributed load without a cluster. */
function checkEngineFields(
  doc: LoadDoc,
  ctx: { scriptFile?: string | null; hasCluster?: boolean },
  err: (message: string, hint?: string, key?: string) => void,
): void {
  const k6 = doc.engine === 'k6';
  for (const key of ['script', 'k6Binary', 'k6'] as const) {
    if (doc[key] !== undefined && !k6) err(`${key} is a setting of the k6 engine`, 'set engine: k6, or remove it', key);
  }
  if (doc.script && ctx.scriptFile && !existsSync(ctx.scriptFile)) {
    err(`k6 script "${doc.script}" does not exist`, `script: is relative to the file that sets it (the plan or the scenario file): looked for ${ctx.scriptFile}`, 'script');
  }
  const scriptProblem = doc.script && ctx.scriptFile ? namedFileProblem(ctx.scriptFile) : null;
  if (scriptProblem) err(`k6 script: ${scriptProblem}`, 'give a k6 script file', 'script');
  if (doc.servedBy !== undefined && k6 && doc.script) {
    err('servedBy is counted by the k6 script crt generates: a script of your own does not report it', 'remove script: to let crt generate the script, or remove servedBy', 'servedBy');
  }
  const d = doc.distributed;
  if (!d) return;
  if (ctx.hasCluster === false) err('distributed load runs in the plan\'s cluster: this plan has no cluster:', 'add cluster: {local: true} (the embedded cluster) or cluster: {context: ...}', 'distributed');
  if (d.via === 'k6-operator' && !k6) err('via: k6-operator runs k6: it needs engine: k6', 'set engine: k6, or via: job (crt workers running autocannon)', 'distributed');
  if ((d.via ?? 'job') === 'job' && k6) err('via: job runs crt workers (autocannon): with engine k6 use via: k6-operator', undefined, 'distributed');
  if (doc.generators !== undefined && doc.generators > 1) err('give either generators (threads of this process) or distributed.generators (workers in the cluster), not both', undefined, 'generators');
}

function hasLoadShape(doc: LoadDoc): boolean {
  return doc.stages !== undefined || doc.connections !== undefined || doc.rate !== undefined;
}

/** A user k6 script sets its own executors: crt knows only how long it may run. */
function scriptStage(doc: LoadDoc): StageSpec {
  return { index: 0, name: 'script', connections: 1, rateRps: null, durationMs: doc.duration ? parseDuration(doc.duration) : null, requests: null };
}

function normalizeStages(doc: LoadDoc, err: (message: string, hint?: string, key?: string) => void): StageSpec[] | null {
  const list = doc.stages ?? [{}];
  const out: StageSpec[] = [];
  list.forEach((stage, index) => {
    const where = doc.stages ? `stages[${index}]` : 'load';
    const connections = stage.connections ?? doc.connections;
    const rate = stage.rate ?? doc.rate;
    const duration = stage.duration ?? doc.duration;
    const requests = stage.requests ?? doc.requests;
    if (connections === undefined && rate === undefined) {
      err(`${where} sets neither connections (closed model) nor rate (open model)`, 'e.g. connections: 10, or rate: 100 (requests per second)', doc.stages ? 'stages' : undefined);
      return;
    }
    if (duration === undefined && requests === undefined) {
      err(`${where} has no duration and no request count`, 'set duration: 60s (or requests: N)', doc.stages ? 'stages' : undefined);
      return;
    }
    const rateRps = rate ?? null;
    out.push({
      index,
      name: stage.name ?? (doc.stages ? stageLabel(connections, rateRps) : 'main'),
      connections: connections ?? defaultOpenConnections(rateRps as number),
      rateRps,
      durationMs: duration === undefined ? null : parseDuration(duration),
      requests: requests ?? null,
    });
  });
  return out.length === list.length ? out : null;
}

function stageLabel(connections: number | undefined, rate: number | null): string {
  return rate !== null ? `${rate} req/s` : `c=${connections}`;
}

/** Planned duration of a load: stagger of the last generator plus every stage; null if unbounded by time. */
export function plannedLoadMs(load: LoadSpec): number | null {
  let total = load.staggerMs * (load.generators - 1);
  for (const s of load.stages) {
    if (s.durationMs === null) return null;
    total += s.durationMs;
  }
  return total;
}

/** Planned duration of a case: its load's, or (without load) the end of its last action and revert. */
export function plannedDurationMs(load: LoadSpec | null, trigger: ReadonlyArray<{ atMs: number; revertAfterMs: number | null }>): number | null {
  if (load) return plannedLoadMs(load);
  return trigger.reduce((m, a) => Math.max(m, a.atMs + (a.revertAfterMs ?? 0)), 0);
}
