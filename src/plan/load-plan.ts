import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatDuration, MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration, parsePercent, PlanError, type Problem } from '../core/index.js';
import { LAYERS, defaultControlPlane, type Layer, type NodeTimings } from '../vocabulary/index.js';
import { checkDataPlaneSettings, normalizeClusterSettings, planNodeTimings } from './cluster-settings.js';
import { normalizeExpect, parseAbortRule } from './expectations.js';
import { FileSet } from './files.js';
import { MAX_EXPANDED_BYTES, exceedsSize } from './read-file.js';
import { checkNamedFiles, normalizeTargets } from './normalize-targets.js';
import { location, normalizeLoad, plannedDurationMs } from './normalize-load.js';
import { normalizeActions, normalizeProbes } from './normalize-steps.js';
import { loadScenarioChain, mergeLoad } from './references.js';
import { selectCases } from './select.js';
import { checkStudySteps, normalizeStudy } from './studies.js';
import { closest } from './suggest.js';
import { PlanSchema, type CaseDoc, type PlanDoc } from './schema.js';
import type { LoadDoc } from './schema-load.js';
import type { ActionSpec, CaseSpec, LoadSpec, Plan, RecoverySettings, Target } from './types.js';
import { displayPath, type DocPath, type YamlSource } from './yaml-source.js';

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
  return loadPlanFile(path.resolve(file), env, []);
}

/**
 * `chain`: the plans that extend this one, outermost first (to report an `extends` cycle);
 * `refAt`: the `extends:` that names this file, where a file that cannot be read is reported.
 */
function loadPlanFile(file: string, env: NodeJS.ProcessEnv, chain: string[], refAt?: { source: YamlSource; path: DocPath }): LoadedPlan {
  const files = new FileSet(env);
  const loaded = files.load(file, PlanSchema, 'plan file', refAt);
  if (!loaded || !loaded.valid) throw new PlanError(files.problems);
  const doc = loaded.value as PlanDoc;
  const source = loaded.source;
  if (doc.extends !== undefined) return extendPlan(doc, loaded.file, source, files, env, chain);
  if (doc.select) files.error(source, ['select'], 'select only applies with extends', 'to run some cases of this plan, use crt run --tags, --exclude-tags, --layer or --only');

  checkNamedFiles(doc, source, files);
  const targets = normalizeTargets(doc.targets ?? {}, source, files);
  const cases = normalizeCases(doc, source, files, targets);
  if (files.hasErrors()) throw new PlanError(files.problems);
  const plan = planOf(doc, loaded.file, source, files, targets, cases);
  return { plan: deepFreeze(plan), warnings: files.problems.filter((p) => p.severity === 'warning') };
}

/** The cases of every layer, normalized; duplicate ids, study steps and an empty plan are reported in `files`. */
function normalizeCases(doc: PlanDoc, source: YamlSource, files: FileSet, targets: Plan['targets']): CaseSpec[] {
  const layers = doc.layers ?? {};
  const defaultRecovery = recoverySettings(doc.defaults?.recovery, DEFAULT_RECOVERY);
  const cases: CaseSpec[] = [];
  let planTimings: NodeTimings | null | undefined;
  const nodeTimings = () => (planTimings === undefined ? (planTimings = planNodeTimings(doc, source, files)) : planTimings);
  // the embedded cluster reads them at start: a run would trip on a bad one
  if (doc.cluster?.local?.settings) {
    nodeTimings();
    checkDataPlaneSettings(doc, source, files);
  }
  const placed: Array<{ spec: CaseSpec; at: Array<string | number> }> = [];
  const firstSeen = new Map<string, string>();
  for (const layer of LAYERS) {
    (layers[layer] ?? []).forEach((c, i) => {
      const at = ['layers', layer, i];
      const prior = firstSeen.get(c.id);
      if (prior) files.error(source, [...at, 'id'], `duplicate case id "${c.id}" (first at ${prior})`, 'case ids must be unique across the three layers');
      else firstSeen.set(c.id, `${source.display}:${source.position([...at, 'id']).line}`);
      const spec = normalizeCase(c, layer, at, { files, source, targets, defaults: doc.defaults, recovery: defaultRecovery, hasCluster: doc.cluster !== undefined, cluster: doc.cluster, planTimings: nodeTimings });
      if (spec) {
        cases.push(spec);
        placed.push({ spec, at });
      }
    });
  }
  checkStudySteps(placed, source, files);
  if (LAYERS.every((l) => (layers[l] ?? []).length === 0)) {
    files.error(source, doc.layers ? ['layers'] : [], 'the plan has no cases', 'add cases under layers.physical, layers.logical or layers.auxiliary, or run the cases of another plan with extends');
  }
  return cases;
}

/** The Plan of a valid document, with its scenario and chaos files inlined (refused past MAX_EXPANDED_BYTES). */
function planOf(doc: PlanDoc, file: string, source: YamlSource, files: FileSet, targets: Plan['targets'], cases: CaseSpec[]): Plan {
  // scenario files inlined into every case that uses them: run.json and the reports hold this
  const resolved = resolvedLayers(doc.layers ?? {}, cases);
  if (exceedsSize(resolved, MAX_EXPANDED_BYTES)) {
    throw new PlanError([source.problem(['layers'], `the cases expand to more than ${MAX_EXPANDED_BYTES / 1024 / 1024} MiB with their scenario and chaos files inlined`, 'run.json records each case\'s resolved load: share less, or split the plan')]);
  }
  const versions = Object.fromEntries(Object.entries(doc.metadata.versions ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    file,
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
    notify: doc.notify ?? [],
    cases,
    resolved: { ...doc, layers: resolved },
    secrets: [...files.secrets],
  };
}

/** What a plan with `extends` may not set: it runs the extended plan's system, as that plan describes it. */
const INHERITED_ONLY = ['layers', 'cluster', 'targets', 'defaults'] as const;

/**
 * A plan with `extends` (e.g. the nightly subset of the acceptance plan): the extended plan's
 * cluster, targets, defaults and cases, kept by `select`, under this file's metadata, and its
 * sinks and regression thresholds when it sets them. The cases stay the extended plan's own:
 * their problems are located in that file and their relative paths resolve from its folder.
 */
function extendPlan(doc: PlanDoc, file: string, source: YamlSource, files: FileSet, env: NodeJS.ProcessEnv, chain: string[]): LoadedPlan {
  const ref = doc.extends ?? '';
  for (const key of INHERITED_ONLY) {
    if (doc[key] !== undefined) {
      files.error(source, [key], `${key} comes from the extended plan (${ref}): a plan with extends cannot set it`, 'change it in the extended plan, or copy that plan instead of extending it');
    }
  }
  const baseFile = path.resolve(path.dirname(file), ref);
  if (baseFile === file || chain.includes(baseFile)) {
    files.error(source, ['extends'], `extends cycle: ${[...chain, file, baseFile].map(displayPath).join(' → ')}`);
  } else if (!existsSync(baseFile)) {
    files.error(source, ['extends'], `extended plan not found: ${displayPath(baseFile)}`, 'the path is relative to this file');
  }
  if (files.hasErrors()) throw new PlanError(files.problems);

  const base = loadPlanFile(baseFile, env, [...chain, file], { source, path: ['extends'] });
  checkSelection(doc.select ?? {}, base.plan, source, files);
  const sel = doc.select ?? {};
  if (files.hasErrors()) throw new PlanError(files.problems);
  const cases = selectCases(base.plan, { only: sel.only ?? [], tags: sel.tags ?? [], excludeTags: sel.excludeTags ?? [], layers: sel.layers ?? [] });
  if (cases.length === 0) files.error(source, doc.select ? ['select'] : ['extends'], `selects no case of ${base.plan.display}`, 'a case is kept when it has one of select.tags, none of select.excludeTags, and is in select.layers and select.only when they are given');
  if (files.hasErrors()) throw new PlanError(files.problems);

  const m = doc.metadata;
  const kept = new Set(cases.map((c) => c.id));
  const baseResolved = base.plan.resolved as { layers: Record<string, Array<{ id: string }>> };
  const plan: Plan = {
    ...base.plan,
    display: source.display,
    name: m.name,
    title: m.title ?? base.plan.title,
    system: m.system ?? base.plan.system,
    description: m.description ?? base.plan.description,
    owner: m.owner ?? base.plan.owner,
    versions: { ...base.plan.versions, ...Object.fromEntries(Object.entries(m.versions ?? {}).map(([k, v]) => [k, String(v)])) },
    sinks: doc.sinks ?? base.plan.sinks,
    notify: doc.notify ?? base.plan.notify,
    cases,
    extends: base.plan.display,
    secrets: [...base.plan.secrets, ...files.secrets],
    resolved: {
      ...baseResolved,
      ...doc,
      layers: Object.fromEntries(Object.entries(baseResolved.layers).map(([l, list]) => [l, list.filter((c) => kept.has(c.id))])),
      ...(doc.regression ? {} : { regression: (base.plan.resolved as PlanDoc).regression }),
      ...(doc.sinks ? {} : { sinks: (base.plan.resolved as PlanDoc).sinks }),
      ...(doc.notify ? {} : { notify: (base.plan.resolved as PlanDoc).notify }),
    },
  };
  return { plan: deepFreeze(plan), warnings: [...base.warnings, ...files.problems.filter((p) => p.severity === 'warning')] };
}

/** `select:` names only cases and tags the extended plan has (with the closest name as a hint). */
function checkSelection(sel: NonNullable<PlanDoc['select']>, base: Plan, source: YamlSource, files: FileSet): void {
  const ids = base.cases.map((c) => c.id);
  const tags = new Set(base.cases.flatMap((c) => c.tags));
  (sel.only ?? []).forEach((id, i) => {
    if (ids.includes(id)) return;
    const guess = closest(id, ids);
    files.error(source, ['select', 'only', i], `no case ${id} in ${base.display}`, guess ? `did you mean ${guess}?` : `its cases are ${ids.join(', ')}`);
  });
  for (const key of ['tags', 'excludeTags'] as const) {
    (sel[key] ?? []).forEach((tag, i) => {
      if (tags.has(tag)) return;
      const guess = closest(tag, [...tags]);
      files.error(source, ['select', key, i], `no case of ${base.display} has the tag ${tag}`, guess ? `did you mean ${guess}?` : `its tags are ${[...tags].sort().join(', ') || 'none'}`);
    });
  }
}

interface CaseContext {
  files: FileSet;
  source: YamlSource;
  targets: Record<string, Target>;
  defaults: PlanDoc['defaults'];
  recovery: RecoverySettings;
  hasCluster: boolean;
  cluster: PlanDoc['cluster'];
  planTimings: () => NodeTimings | null;
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
  const { load, staged } = caseLoad(c, at, ctx);
  const trigger = normalizeActions(c.trigger, [...at, 'trigger'], {
    source, files, ...(ctx.cluster?.namespaces ? { namespaces: ctx.cluster.namespaces } : {}), controlPlane: ctx.cluster?.local ? (ctx.cluster.local.controlPlane ?? defaultControlPlane()) : null,
  });
  const conditions = normalizeProbes(c.conditions, [...at, 'conditions'], { source, files, targets: ctx.targets });
  const clusterSettings = normalizeClusterSettings(c.clusterSettings, [...at, 'clusterSettings'], { files, source, cluster: ctx.cluster, planTimings: ctx.planTimings });
  const expectProbes = normalizeProbes(c.expect?.probes, [...at, 'expect', 'probes'], { source, files, targets: ctx.targets });
  const expect = normalizeExpect(c.expect, [...at, 'expect'], source, files, {
    load: c.load !== undefined, trigger: trigger.length > 0, servedBy: load ? load.servedBy !== null : null,
  });
  const study = normalizeStudy(c.study, c, load, staged, at, source, files);
  const abortIf = (c.abortIf ?? []).flatMap((text, i) => parseAbortRule(text, [...at, 'abortIf', i], source, files) ?? []);
  if (abortIf.length > 0 && !c.load) files.error(source, [...at, 'abortIf'], 'abort rules watch the load: this case has none');
  // a trigger entry that could not be resolved (its chaos file) is reported already: the case does something
  if (!c.load && (c.trigger ?? []).length === 0 && conditions.length === 0 && expectProbes.length === 0) {
    files.error(source, at, `case ${c.id} does nothing`, 'give it a load, a trigger, conditions or expect.probes');
  }

  const timeoutMs = caseTimeout(c, at, ctx, load, trigger);
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
    clusterSettings,
    load,
    trigger,
    expect: { ...expect, probes: expectProbes },
    abortIf,
    recovery: recoverySettings(c.recovery, ctx.recovery),
    study,
    location: location(source, at),
  };
}

/** The case's load with its scenario files merged under it, and whether it has stages (rows of a load study); null without one. */
function caseLoad(c: CaseDoc, at: Array<string | number>, ctx: CaseContext): { load: LoadSpec | null; staged: boolean } {
  const { files, source } = ctx;
  if (!c.load) return { load: null, staged: false };
  let scenarioDocs: LoadDoc[] = [];
  let scenarioFile: string | null = null;
  if (c.load.scenario) {
    const chain = loadScenarioChain(files, c.load.scenario, { source, path: [...at, 'load', 'scenario'] });
    // a scenario that could not be loaded is reported where it fails; checking the load
    // without it would only add "sets neither connections nor rate"-style noise
    if (!chain) return { load: null, staged: false };
    scenarioDocs = chain.docs;
    scenarioFile = chain.file;
  }
  const { scenario: _s, ...inline } = c.load;
  const merged = mergeLoad(ctx.defaults?.load, ...scenarioDocs, inline);
  const load = normalizeLoad(merged, {
    files, source, at: [...at, 'load'], targets: ctx.targets, scenarioFile,
    scriptFile: scriptFile(source.file, inline.script ?? ctx.defaults?.load?.script, scenarioFile, scenarioDocs),
    hasCluster: ctx.hasCluster,
  });
  return { load, staged: merged.stages !== undefined };
}

/** The case's timeout (given, or its planned duration plus the margin), with the checks of faults and timeout against the plan. */
function caseTimeout(c: CaseDoc, at: Array<string | number>, ctx: CaseContext, load: LoadSpec | null, trigger: ActionSpec[]): number {
  const { files, source } = ctx;
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
  // each duration is bounded; their sum (stages, stagger, the default margin) must be too: the case's timer holds it
  if (!timeoutText && timeoutMs > MAX_DURATION_MS) {
    files.error(source, [...at, 'id'], `the case's timeout (its planned duration ${formatDuration(planned ?? 0)} + 5m) is longer than ${MAX_DURATION_TEXT}`, 'crt waits with Node.js timers, which hold at most 24.8 days: shorten the load or split the case');
  }
  if (planned !== null && timeoutMs <= planned) {
    files.error(
      source,
      [...at, c.timeout ? 'timeout' : 'id'],
      `timeout ${formatDuration(timeoutMs)} is ${timeoutMs < planned ? 'shorter than' : 'no longer than'} the planned duration ${formatDuration(planned)}`,
      c.timeout ? 'leave timeout out to get the planned duration plus 5 minutes' : 'the case inherits defaults.timeout: give it its own timeout:',
    );
  }
  return timeoutMs;
}

function recoverySettings(doc: { successRate?: string; stableFor?: string } | undefined, base: RecoverySettings): RecoverySettings {
  return {
    successRate: doc?.successRate ? parsePercent(doc.successRate) : base.successRate,
    stableForMs: doc?.stableFor ? parseDuration(doc.stableFor) : base.stableForMs,
  };
}

/** The plan's layers with each case's load and trigger as crt resolved them (scenario and chaos files inlined). */
function resolvedLayers(layers: NonNullable<PlanDoc['layers']>, cases: CaseSpec[]): unknown {
  const byId = new Map(cases.map((c) => [c.id, c]));
  return Object.fromEntries(
    LAYERS.map((l) => [
      l,
      (layers[l] ?? []).map((c) => {
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
