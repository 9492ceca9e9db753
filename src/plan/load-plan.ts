import path from 'node:path';
import { PlanError, type Problem } from '../core/errors.js';
import { formatDuration, parseDuration, parsePercent } from '../core/units.js';
import { LAYERS, type Layer } from '../results/types.js';
import { normalizeExpect, parseAbortRule } from './expectations.js';
import { FileSet } from './files.js';
import { location, normalizeLoad, plannedDurationMs } from './normalize-load.js';
import { normalizeActions, normalizeProbes } from './normalize-steps.js';
import { loadScenarioChain, mergeLoad } from './references.js';
import { checkStudySteps, normalizeStudy } from './studies.js';
import { PlanSchema, type CaseDoc, type PlanDoc, type TargetDoc } from './schema.js';
import type { LoadDoc } from './schema-load.js';
import type { CaseSpec, Plan, RecoverySettings, Target } from './types.js';
import type { YamlSource } from './yaml-source.js';

export const DEFAULT_RECOVERY: RecoverySettings = { successRate: 0.99, stableForMs: 10_000 };
/** Added to a case's planned duration to make its default timeout. */
export const DEFAULT_TIMEOUT_MARGIN_MS = 5 * 60_000;

export interface LoadedPlan {
  plan: Plan;
  warnings: Problem[];
}

/**
 * Loads a plan: parse YAML keeping positions → substitute ${ENV} → validate against the
 * published schema (every error) → resolve scenario and chaos files → semantic checks →
 * defaults → frozen Plan. Throws a PlanError listing every problem, sorted and located.
 */
export function loadPlan(file: string, env: NodeJS.ProcessEnv = process.env): LoadedPlan {
  const files = new FileSet(env);
  const loaded = files.load(path.resolve(file), PlanSchema, 'plan file');
  if (!loaded || !loaded.valid) throw new PlanError(files.problems);
  const doc = loaded.value as PlanDoc;
  const source = loaded.source;

  const targets = normalizeTargets(doc.targets ?? {}, source, files);
  const defaultRecovery = recoverySettings(doc.defaults?.recovery, DEFAULT_RECOVERY);
  const cases: CaseSpec[] = [];
  const placed: Array<{ spec: CaseSpec; at: Array<string | number> }> = [];
  const firstSeen = new Map<string, string>();
  for (const layer of LAYERS) {
    (doc.layers[layer] ?? []).forEach((c, i) => {
      const at = ['layers', layer, i];
      const prior = firstSeen.get(c.id);
      if (prior) files.error(source, [...at, 'id'], `duplicate case id "${c.id}" (first at ${prior})`, 'case ids must be unique across the three layers');
      else firstSeen.set(c.id, `${source.display}:${source.position([...at, 'id']).line}`);
      const spec = normalizeCase(c, layer, at, { files, source, targets, defaults: doc.defaults, recovery: defaultRecovery, hasCluster: doc.cluster !== undefined });
      if (spec) {
        cases.push(spec);
        placed.push({ spec, at });
      }
    });
  }
  checkStudySteps(placed, source, files);
  if (LAYERS.every((l) => (doc.layers[l] ?? []).length === 0)) {
    files.error(source, ['layers'], 'the plan has no cases', 'add cases under layers.physical, layers.logical or layers.auxiliary');
  }
  if (files.hasErrors()) throw new PlanError(files.problems);

  const versions = Object.fromEntries(Object.entries(doc.metadata.versions ?? {}).map(([k, v]) => [k, String(v)]));
  const plan: Plan = {
    file: loaded.file,
    display: source.display,
    name: doc.metadata.name,
    title: doc.metadata.title ?? null,
    system: doc.metadata.system ?? null,
    description: doc.metadata.description ?? null,
    owner: doc.metadata.owner ?? null,
    versions,
    targets,
    cluster: doc.cluster ?? null,
    sinks: doc.sinks ?? {},
    cases,
    resolved: { ...doc, layers: resolvedLayers(doc, cases) },
  };
  return { plan: deepFreeze(plan), warnings: files.problems.filter((p) => p.severity === 'warning') };
}

interface CaseContext {
  files: FileSet;
  source: YamlSource;
  targets: Record<string, Target>;
  defaults: PlanDoc['defaults'];
  recovery: RecoverySettings;
  hasCluster: boolean;
}

/** `script:` is relative to the file that sets it: the plan (inline or defaults), else the scenario file. */
function scriptFile(planFile: string, planScript: string | undefined, scenarioFile: string | null, scenarioDocs: LoadDoc[]): string | null {
  if (planScript) return path.resolve(path.dirname(planFile), planScript);
  const fromScenario = scenarioDocs.findLast((d) => d.script !== undefined)?.script;
  return fromScenario && scenarioFile ? path.resolve(path.dirname(scenarioFile), fromScenario) : null;
}

function normalizeCase(c: CaseDoc, layer: Layer, at: Array<string | number>, ctx: CaseContext): CaseSpec | null {
  const { files, source } = ctx;
  const before = files.problems.filter((p) => p.severity === 'error').length;
  let load = null;
  /** the load (with its scenario files) writes stages: each is a row of a load study */
  let staged = false;
  if (c.load) {
    let scenarioDocs: LoadDoc[] = [];
    let scenarioFile: string | null = null;
    // a scenario that could not be loaded is reported where it fails; checking the load
    // without it would only add "sets neither connections nor rate"-style noise
    let scenarioLoaded = true;
    if (c.load.scenario) {
      const chain = loadScenarioChain(files, c.load.scenario, { source, path: [...at, 'load', 'scenario'] });
      if (chain) {
        scenarioDocs = chain.docs;
        scenarioFile = chain.file;
      } else {
        scenarioLoaded = false;
      }
    }
    const { scenario: _s, ...inline } = c.load;
    if (scenarioLoaded) {
      const merged = mergeLoad(ctx.defaults?.load, ...scenarioDocs, inline);
      staged = merged.stages !== undefined;
      load = normalizeLoad(merged, {
        files, source, at: [...at, 'load'], targets: ctx.targets, scenarioFile,
        scriptFile: scriptFile(source.file, inline.script ?? ctx.defaults?.load?.script, scenarioFile, scenarioDocs),
        hasCluster: ctx.hasCluster,
      });
    }
  }
  const trigger = normalizeActions(c.trigger, [...at, 'trigger'], { source, files });
  const conditions = normalizeProbes(c.conditions, [...at, 'conditions'], { source, files, targets: ctx.targets });
  const expectProbes = normalizeProbes(c.expect?.probes, [...at, 'expect', 'probes'], { source, files, targets: ctx.targets });
  const expect = normalizeExpect(c.expect, [...at, 'expect'], source, files, { load: c.load !== undefined, trigger: trigger.length > 0 });
  const study = normalizeStudy(c.study, c, load, staged, at, source, files);
  const abortIf = (c.abortIf ?? []).flatMap((text, i) => parseAbortRule(text, [...at, 'abortIf', i], source, files) ?? []);
  if (abortIf.length > 0 && !c.load) files.error(source, [...at, 'abortIf'], 'abort rules watch the load: this case has none');
  if (!c.load && trigger.length === 0 && conditions.length === 0 && expectProbes.length === 0) {
    files.error(source, at, `case ${c.id} does nothing`, 'give it a load, a trigger, conditions or expect.probes');
  }

  const planned = plannedDurationMs(load, trigger);
  if (load && planned !== null) {
    for (const [i, a] of trigger.entries()) {
      if (a.atMs >= planned) {
        files.error(source, [...at, 'trigger', i, 'at'], `at ${formatDuration(a.atMs)} is not before the end of the load (${formatDuration(planned)})`, 'faults are injected while the load runs');
      } else if (a.revertAfterMs !== null && a.atMs + a.revertAfterMs >= planned) {
        files.warn(source, [...at, 'trigger', i, 'revertAfter'], 'the revert happens after the load ends: recovery after it is not measured');
      }
    }
  }
  const timeoutText = c.timeout ?? ctx.defaults?.timeout;
  const timeoutMs = timeoutText ? parseDuration(timeoutText) : (planned ?? 0) + DEFAULT_TIMEOUT_MARGIN_MS;
  if (planned !== null && timeoutMs <= planned) {
    files.error(
      source,
      [...at, c.timeout ? 'timeout' : 'id'],
      `timeout ${formatDuration(timeoutMs)} is ${timeoutMs < planned ? 'shorter than' : 'no longer than'} the planned duration ${formatDuration(planned)}`,
      c.timeout ? 'leave timeout out to get the planned duration plus 5 minutes' : 'the case inherits defaults.timeout: give it its own timeout:',
    );
  }
  if (files.problems.filter((p) => p.severity === 'error').length > before) return null;
  return {
    id: c.id,
    layer,
    title: c.title,
    objective: c.objective,
    description: c.description ?? null,
    tags: c.tags ?? [],
    timeoutMs,
    conditions,
    load,
    trigger,
    expect: { ...expect, probes: expectProbes },
    abortIf,
    recovery: recoverySettings(c.recovery, ctx.recovery),
    study,
    location: location(source, at),
  };
}

function normalizeTargets(docs: Record<string, TargetDoc>, source: YamlSource, files: FileSet): Record<string, Target> {
  const out: Record<string, Target> = {};
  for (const [name, t] of Object.entries(docs)) {
    if (!t.url === !t.service) {
      files.error(source, ['targets', name], t.url ? 'give either url or service, not both' : 'a target needs a url (or a cluster service)', 'e.g. url: http://127.0.0.1:8080');
      continue;
    }
    out[name] = {
      name,
      url: t.url ? t.url.replace(/\/+$/, '') : null,
      service: t.service ?? null,
      headers: t.headers ?? {},
      connectTimeoutMs: t.connectTimeout ? parseDuration(t.connectTimeout) : 5000,
      location: location(source, ['targets', name]),
    };
  }
  return out;
}

function recoverySettings(doc: { successRate?: string; stableFor?: string } | undefined, base: RecoverySettings): RecoverySettings {
  return {
    successRate: doc?.successRate ? parsePercent(doc.successRate) : base.successRate,
    stableForMs: doc?.stableFor ? parseDuration(doc.stableFor) : base.stableForMs,
  };
}

/** The plan's layers with each case's load and trigger as crt resolved them (scenario and chaos files inlined). */
function resolvedLayers(doc: PlanDoc, cases: CaseSpec[]): unknown {
  const byId = new Map(cases.map((c) => [c.id, c]));
  return Object.fromEntries(
    LAYERS.map((l) => [
      l,
      (doc.layers[l] ?? []).map((c) => {
        const spec = byId.get(c.id);
        return { ...c, load: spec?.load ?? undefined, trigger: spec?.trigger.map(({ location: _l, ...a }) => a) ?? undefined };
      }),
    ]),
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
