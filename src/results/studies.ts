import type { CaseResult, LoadStats, StudyCell, StudyFigures, StudyResult } from './types.js';

/**
 * The load studies of a run: the cases sharing a `study:` name, as steps × variants. Each cell takes
 * the figures the run already computed for that stage (or for the case's `whole` phase) from merged
 * HDR histograms: nothing here averages percentiles. Steps and variants keep the plan's order.
 */
export function buildStudies(cases: readonly CaseResult[]): StudyResult[] {
  const studies = new Map<string, StudyResult>();
  for (const c of cases) {
    const own = c.study;
    if (!own) continue;
    const study = studies.get(own.name) ?? { name: own.name, variants: [], steps: [], cells: [] };
    studies.set(study.name, study);
    if (!study.variants.includes(own.variant)) study.variants.push(own.variant);
    for (const step of own.steps) {
      if (!study.steps.includes(step.name)) study.steps.push(step.name);
      // the plan refuses a step given twice in a variant; a run.json edited by hand keeps the first
      if (study.cells.some((x) => x.step === step.name && x.variant === own.variant)) continue;
      const stage = step.stage === null ? null : c.stages.find((s) => s.index === step.stage);
      const stats = step.stage === null ? (c.phases.find((p) => p.name === 'whole')?.stats ?? null) : (stage?.stats ?? null);
      study.cells.push({
        step: step.name,
        variant: own.variant,
        case: c.id,
        stage: step.stage === null ? null : (stage?.name ?? step.name),
        verdict: c.verdict,
        figures: figures(stats),
        maxReady: step.maxReady ? { ...step.maxReady } : null,
      });
    }
  }
  return [...studies.values()];
}

function figures(s: LoadStats | null): StudyFigures | null {
  if (!s || s.requests === 0) return null;
  const l = s.latency;
  return {
    requests: s.requests, failed: s.failed, errorRate: s.errorRate, rps: s.rps,
    mean: l?.mean ?? null, p50: l?.p50 ?? null, p75: l?.p75 ?? null, p90: l?.p90 ?? null, p95: l?.p95 ?? null,
  };
}

/** The cell of a step and variant, or undefined when that variant did not give the step. */
export function studyCell(study: StudyResult, step: string, variant: string): StudyCell | undefined {
  return study.cells.find((c) => c.step === step && c.variant === variant);
}
