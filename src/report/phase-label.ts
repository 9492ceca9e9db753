import type { PhaseName } from '../results/index.js';

/**
 * How the reports name the phases. run.json, timeseries.jsonl and the plan keep the names they
 * always had (`recovery`), so older run folders and plans read as before; the reports call the
 * phase after the revert "after revert", so that it is not read as the recovery *time* (which is
 * measured from the first injection, and often ends inside the fault phase).
 */
export const PHASE_LABEL: Readonly<Record<PhaseName, string>> = {
  baseline: 'baseline',
  fault: 'fault',
  recovery: 'after revert',
  after: 'settled',
  whole: 'whole',
};

export function phaseLabel(name: PhaseName | null): string {
  return name === null ? 'case' : (PHASE_LABEL[name] ?? name);
}

/** Under every phase table: what the names mean, and how requests are counted in a phase. */
export const PHASE_NOTE =
  'Phases: baseline until the first injection; fault until every fault is reverted (or over); after revert (the plan\'s "recovery" phase) until the service has been stable again for the case\'s stableFor; settled for the rest. ' +
  'A request is counted in the phase, and the second, in which it completed (answer, error or timeout), not in the one in which it was due: in an open model, requests that waited for a connection during a cut are counted when they finally completed, so a phase\'s req/s can be far from the planned rate. With a fixed rate, the "due" column counts the requests the schedule planned in the phase.';
