/** Phases of a case, cut by the runner from event timestamps. */
export type Phase = 'baseline' | 'fault' | 'recovery' | 'after';
export type PhaseName = Phase | 'whole';
export const PHASES: readonly Phase[] = ['baseline', 'fault', 'recovery', 'after'];
export const PHASE_NAMES: readonly PhaseName[] = ['baseline', 'fault', 'recovery', 'after', 'whole'];
