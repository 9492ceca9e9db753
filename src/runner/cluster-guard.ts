import { existsSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, UsageError, errorMessage } from '../core/errors.js';
import {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, FileJournalStore, Journal, clusterJournals, journalConfigMapName, outstandingEntries, type JournalEntry,
} from '../faults/index.js';
import { RUN_FILES } from '../results/run-folder.js';
import type { CaseSpec, Plan } from '../plan/types.js';
import type { RunLease } from './cluster-lease.js';
import type { ClusterSession } from './cluster-session.js';
import { revertJournalEntries, type RevertDeps, type RevertReport } from './revert.js';

/** Fault parameters that name a namespace the fault acts in, and the namespace when none is given. */
const NAMESPACED = ['pod-kill', 'network-cut', 'rollout', 'scale'];

/**
 * The plan's allowlists, checked before anything acts: every namespaced fault of the selected cases
 * must act in one of `cluster.namespaces` (exit 2, each offending step with its location).
 */
export function checkNamespaces(plan: Plan, cases: readonly CaseSpec[]): void {
  const allowed = plan.cluster?.namespaces;
  if (!allowed) return;
  const refused: string[] = [];
  for (const c of cases) {
    for (const a of c.trigger) {
      if (!NAMESPACED.includes(a.kind) && !(a.params.nodeOf && typeof a.params.nodeOf === 'object')) continue;
      const given = NAMESPACED.includes(a.kind) ? a.params.namespace : (a.params.nodeOf as { namespace?: unknown }).namespace;
      const ns = typeof given === 'string' ? given : 'default';
      if (!allowed.includes(ns)) refused.push(`${a.location.file}:${a.location.line}:${a.location.col} ${c.id}/${a.name}: ${a.kind} in namespace ${ns}`);
    }
  }
  if (refused.length) {
    throw new UsageError(`the plan may act on namespaces ${allowed.join(', ')} only (cluster.namespaces); refused:\n  ${refused.join('\n  ')}`, {
      hint: 'set the namespace of each step, or add the namespace to cluster.namespaces if it is meant to be touched',
    });
  }
}

/** `cluster.contexts`: the kubeconfig context must be one the plan names (exit 2 before anything is touched). */
export function checkContext(plan: Plan, context: string | undefined): void {
  const allowed = plan.cluster?.contexts;
  if (!allowed) return;
  if (!context || !allowed.includes(context)) {
    throw new UsageError(`the kubeconfig context is ${context ? `"${context}"` : 'not set'}, and this plan may act only on ${allowed.map((c) => `"${c}"`).join(', ')} (cluster.contexts)`, {
      hint: 'switch context (kubectl config use-context, or cluster.context in the plan), or add it to cluster.contexts if this cluster is meant to be touched',
    });
  }
}

export interface GuardOptions {
  runId: string;
  /** the run folder: other runs' folders are its siblings */
  dir: string;
  revertFirst: boolean;
  /** the run's lease on the cluster: --revert-first reverts only while this run holds it */
  lease?: RunLease;
  deps: Omit<RevertDeps, 'kube' | 'kubeconfig'>;
  onRevert?: (r: RevertReport) => void;
}

/**
 * Before a run acts on a cluster reached by kubeconfig: faults left in place by earlier runs (journal
 * ConfigMaps with outstanding entries) are reverted first with `--revert-first`, otherwise the run is
 * refused (exit 3). Returns the journal store this run adds in the cluster.
 */
export async function guardClusterJournal(plan: Plan, cluster: ClusterSession, o: GuardOptions): Promise<ConfigMapJournalStore> {
  const namespace = plan.cluster?.journalNamespace ?? DEFAULT_JOURNAL_NAMESPACE;
  let journals;
  try {
    journals = await clusterJournals(cluster.kube, namespace);
  } catch (err) {
    throw new EnvironmentError(`cannot read the crt journals (ConfigMaps labelled crt.io/journal in ${namespace}) at ${cluster.kube.server}: ${errorMessage(err)}`, {
      hint: `crt keeps its revert journal in the cluster: it needs get, list, create and update on configmaps in ${namespace} (cluster.journalNamespace)`,
    });
  }
  checkJournalName(journals, o.runId, namespace);
  const pending = journals.map((j) => ({ ...j, outstanding: outstandingEntries(j.entries) })).filter((j) => j.outstanding.length > 0 && j.runId !== o.runId);
  if (pending.length > 0 && !o.revertFirst) {
    const lines = pending.flatMap((j) => j.outstanding.map((e) => `${j.runId}: ${describeEntry(e)}`));
    throw new EnvironmentError(`faults of earlier runs are still in place on ${cluster.kube.server}:\n  ${lines.join('\n  ')}`, {
      hint: `revert them first: crt revert --all${cluster.kubeconfig ? ` --kubeconfig ${cluster.kubeconfig}` : ''} — or run with --revert-first`,
    });
  }
  // Never revert under a live run: the faults of other runs are touched only while this run holds the
  // cluster's lease, so their runs are over (or their leases lapsed: they crashed).
  if (pending.length > 0) {
    if (!o.lease) throw new Error('internal: --revert-first without the run lease');
    o.lease.check();
  }
  const failed: string[] = [];
  for (const j of pending) {
    const stores = [new ConfigMapJournalStore(cluster.kube, namespace, j.runId)];
    const file = path.join(path.dirname(o.dir), j.runId, RUN_FILES.journal);
    const localFile = existsSync(file) ? [new FileJournalStore(file)] : [];
    const journal = new Journal(j.runId, [...stores, ...localFile], undefined, j.entries);
    const reports = await revertJournalEntries(j.outstanding, journal, { ...o.deps, kube: cluster.kube, ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}) }, o.onRevert);
    failed.push(...reports.filter((r) => !r.ok).map((r) => `${j.runId}: ${describeEntry(r.entry)}: ${r.detail}`));
  }
  if (failed.length) {
    throw new EnvironmentError(`--revert-first: some reverts failed, the run does not start:\n  ${failed.join('\n  ')}`, { hint: 'fix the cause, then crt revert --all' });
  }
  return new ConfigMapJournalStore(cluster.kube, namespace, o.runId);
}

/**
 * Run ids that differ only in case or in `_`/`-` share one journal ConfigMap name: a run whose name is
 * taken by another run's journal is refused (exit 3), so that no journal holds two runs' entries.
 */
function checkJournalName(journals: ReadonlyArray<{ name: string; runId: string }>, runId: string, namespace: string): void {
  const name = journalConfigMapName(runId);
  const other = journals.find((j) => j.name === name && j.runId !== runId);
  if (other) {
    throw new EnvironmentError(`run id ${runId} maps to the journal ConfigMap ${namespace}/${name}, which holds the journal of run ${other.runId}`, {
      hint: 'run ids are compared without case and with _ and - alike: choose another --run-id',
    });
  }
}

export function describeEntry(e: JournalEntry): string {
  return `${e.caseId}/${e.step} ${e.fault} (${e.status} ${e.at}): ${e.summary}`;
}
