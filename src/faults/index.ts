import { execFault } from './exec.js';
import { podKillFault } from './pod-kill.js';
import { rolloutFault } from './rollout.js';
import { scaleFault } from './scale.js';
import { nodeDrainFault } from './node-drain.js';
import { nodeLossFault } from './node-loss.js';
import { networkCutFault } from './network-cut.js';
import { manualFault } from './manual.js';
import { switchFault } from './switch.js';
import { controlPlaneFault } from './control-plane.js';
import type { FaultDefinition } from './fault.js';
import type { FaultKind } from '../plan/index.js';

export * from './fault.js';
export { RUN_ID_LABEL, type NetworkCutData } from './network-cut.js';
export { Journal, FileJournalStore, isOutstanding, latestEntries, outstandingEntries, parseJournal, type JournalEntry, type JournalStore, type JournalStatus } from './journal.js';
export { adoptCluster, describeScope, entryScope, mergeJournals, type EntryScope } from './journal-merge.js';
export {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, JOURNAL_EXPIRES_ANNOTATION, JOURNAL_LABEL, JOURNAL_MAX_BYTES, JOURNAL_RETENTION_MS, JournalFullError, clusterJournals, compactJournal,
  deleteExpiredJournals, journalConfigMapName, type ClusterJournal,
} from './journal-configmap.js';

/**
 * Every fault kind of the plan format, with its revert (`satisfies Record`: a kind added to the
 * format without an implementation does not compile).
 */
export const builtinFaults = {
  exec: execFault,
  'pod-kill': podKillFault,
  rollout: rolloutFault,
  scale: scaleFault,
  'node-drain': nodeDrainFault,
  'node-loss': nodeLossFault,
  'network-cut': networkCutFault,
  switch: switchFault,
  'control-plane': controlPlaneFault,
  manual: manualFault,
} satisfies Record<FaultKind, FaultDefinition>;

export function faultDefinition(kind: string): FaultDefinition | undefined {
  return (builtinFaults as Partial<Record<string, FaultDefinition>>)[kind];
}
