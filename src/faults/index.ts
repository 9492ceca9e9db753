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
import type { Fault, FaultDefinition } from './fault.js';
import type { ActionOf, FaultKind } from '../plan/index.js';

export * from './fault.js';
export { type NetworkCutData } from './network-cut.js';
export { Journal, FileJournalStore, isOutstanding, latestEntries, outstandingEntries, parseJournal, type JournalEntry, type JournalStore, type JournalStatus } from './journal.js';
export { adoptCluster, describeScope, entryScope, mergeJournals, type EntryScope } from './journal-merge.js';
export {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, JOURNAL_EXPIRES_ANNOTATION, JOURNAL_LABEL, JOURNAL_MAX_BYTES, JOURNAL_RETENTION_MS, JournalFullError, clusterJournals, compactJournal,
  deleteExpiredJournals, journalConfigMapName, type ClusterJournal,
} from './journal-configmap.js';

/** Each fault kind's definition, typed by its kind: `create` of 'pod-kill' takes pod-kill's params. */
export type FaultRegistry = { [K in FaultKind]: FaultDefinition<K> };

/**
 * Every fault kind of the plan format, with its revert (`satisfies FaultRegistry`: a kind added to the
 * format without an implementation, or an implementation of the wrong kind, does not compile).
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
} satisfies FaultRegistry;

// the same object, seen through the mapped type: indexing it by a kind K gives FaultDefinition<K>
const registry: FaultRegistry = builtinFaults;

/** The definition of a kind named at run time (a journal record's `fault`), or undefined for a kind this build lacks. */
export function faultDefinition(kind: string): FaultDefinition | undefined {
  return Object.hasOwn(builtinFaults, kind) ? registry[kind as FaultKind] : undefined;
}

/** The fault of a plan step: its kind's definition gets the step with its params typed. */
export function createFault<K extends FaultKind>(action: ActionOf<K>): Fault {
  const def: FaultDefinition<K> = registry[action.kind];
  return def.create(action);
}
