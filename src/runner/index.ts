export { runPlan, countVerdicts, type RunOptions, type RunOutcome } from './run.js';
export { runCase, type CaseContext } from './case-runner.js';
export type { RunObserver, CaseProgress } from './observer.js';
export { checkSupported, checkReachable, needsCluster, usedTargets } from './preflight.js';
export { PlanTargets } from './targets.js';
export { checkContext, checkNamespaces, describeEntry, guardClusterJournal } from './cluster-guard.js';
export { revertJournalEntries, revertWithRetries, type RevertReport } from './revert.js';
export { RunOperator, confirmStep, type ManualMode, type TerminalPrompt } from './operator.js';
export { openCluster, type ClusterSession } from './cluster-session.js';
