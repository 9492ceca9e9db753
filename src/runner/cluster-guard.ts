import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, UsageError, errorMessage } from '../core/index.js';
import {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, FileJournalStore, Journal, adoptCluster, clusterJournals, deleteExpiredJournals, entryScope, journalConfigMapName, outstandingEntries, parseJournal, type JournalEntry,
} from '../faults/index.js';
import type { ClusterIdentity } from '../kube/index.js';
import { RUN_FILES } from '../results/index.js';
import { SYSTEM_NAMESPACES, faultNamespace, refusedNamespace, type CaseSpec, type Plan } from '../plan/index.js';
import type { RunLease } from './cluster-lease.js';
import type { ClusterSession } from './cluster-session.js';
import { revertJournalEntries, type RevertDeps, type RevertReport } from './revert.js';

/**
 * The plan's allowlists, checked before anything acts: every namespaced fault of the selected cases
 * must act in one of `cluster.namespaces`, and without that list in no namespace of Kubernetes
 * itself (kube-system...) (exit 2, each offending step with its location). `crt validate` reports
 * the same for the namespaces steps name (plan/namespaces.ts); this is the run's own guard, which
 * also checks the steps that name none against `contextNamespace`, the kubeconfig context's (null
 * before the cluster is open: those steps wait for the second check).
 */
export function checkNamespaces(plan: Plan, cases: readonly CaseSpec[], contextNamespace: string | null): void {
  const allowed = plan.cluster?.namespaces;
  const refused: string[] = [];
  let hint = '';
  for (const c of cases) {
    for (const a of c.trigger) {
      const ns = faultNamespace(a, contextNamespace);
      const why = ns && refusedNamespace(ns.namespace, allowed);
      if (!ns || !why) continue;
      refused.push(`${a.location.file}:${a.location.line}:${a.location.col} ${c.id}/${a.name}: ${a.kind} in namespace ${ns.namespace}`);
      hint = why.hint;
    }
  }
  if (refused.length) {
    const what = allowed ? `the plan may act on namespaces ${allowed.join(', ')} only (cluster.namespaces)` : `the plan may act on ${SYSTEM_NAMESPACES.join(', ')} only when cluster.namespaces lists them`;
    throw new UsageError(`${what}; refused:\n  ${refused.join('\n  ')}`, { hint });
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
  /** the cluster's identity (read when the run may revert or inject): only its entries are reverted */
  identity?: ClusterIdentity;
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
      hint: `crt keeps its revert journal in the cluster: it needs get, list, create, update and delete on configmaps in ${namespace} (cluster.journalNamespace)`,
    });
  }
  checkJournalName(journals, o.runId, namespace);
  const pending = journals
    .map((j) => {
      // entries without identity in this cluster's ConfigMap were made on it (adoptCluster); another cluster's are never reverted here
      const entries = o.identity ? adoptCluster(j.entries, o.identity) : j.entries;
      return { ...j, entries, outstanding: outstandingEntries(entries).filter((e) => !o.identity || entryScope(e, o.identity).kind !== 'elsewhere') };
    })
    .filter((j) => j.outstanding.length > 0 && j.runId !== o.runId);
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
    const localFile = existsSync(file) && fileOfCluster(file, o.identity) ? [new FileJournalStore(file)] : [];
    const journal = new Journal(j.runId, [...stores, ...localFile], undefined, j.entries);
    const reports = await revertJournalEntries(j.outstanding, journal, { ...o.deps, kube: cluster.kube, kubeconfig: cluster.kubeconfig }, o.onRevert);
    failed.push(...reports.filter((r) => !r.ok).map((r) => `${j.runId}: ${describeEntry(r.entry)}: ${r.detail}`));
  }
  if (failed.length) {
    throw new EnvironmentError(`--revert-first: some reverts failed, the run does not start:\n  ${failed.join('\n  ')}`, { hint: 'fix the cause, then crt revert --all (with --force for objects changed since the fault, to put the state from before it back anyway)' });
  }
  await cleanExpiredJournals(cluster, journals.filter((j) => j.runId !== o.runId), o.deps);
  return new ConfigMapJournalStore(cluster.kube, namespace, o.runId, () => o.deps.clock.wallNow());
}

/** Journals of fully reverted runs past their expiry are deleted; one that cannot be (no RBAC delete) is a warning, not a failure. */
async function cleanExpiredJournals(cluster: ClusterSession, journals: Awaited<ReturnType<typeof clusterJournals>>, deps: RevertDeps): Promise<void> {
  const deleted = await deleteExpiredJournals(cluster.kube, journals, deps.clock.wallNow(), (name, err) => deps.log.warn({ journal: name, err: errorMessage(err) }, 'cannot delete an expired journal ConfigMap'));
  if (deleted.length) deps.log.info({ journals: deleted }, 'deleted the journals of fully reverted runs past their expiry');
}

/** Whether a sibling run folder's journal is of this cluster's run (a run of the same id on another cluster is not written to). */
function fileOfCluster(file: string, identity: ClusterIdentity | undefined): boolean {
  if (!identity) return true;
  return !parseJournal(readFileSync(file, 'utf8')).some((e) => entryScope(e, identity).kind === 'elsewhere');
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
