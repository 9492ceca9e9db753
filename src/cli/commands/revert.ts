import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, ExitCode, systemClock, UsageError, type ExitCodeValue, type Logger } from '../../core/index.js';
import {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, FileJournalStore, Journal, adoptCluster, clusterJournals, describeScope, entryScope, mergeJournals,
  deleteExpiredJournals, outstandingEntries, parseJournal, type ClusterJournal, type JournalEntry, type JournalStore,
} from '../../faults/index.js';
import { clusterIdentity, describeCluster, kubeClients, type ClusterIdentity, type KubeClients } from '../../kube/index.js';
import { loadPlan } from '../../plan/index.js';
import { RUN_FILES } from '../../results/index.js';
import { describeEntry, describeExpiry, revertJournalEntries, runInProgress, type RevertReport } from '../../runner/index.js';
import type { CliIO } from '../io.js';

export interface RevertFlags {
  run?: string;
  all: boolean;
  list: boolean;
  out: string;
  kubeconfig?: string;
  context?: string;
  plan?: string;
  journalNamespace?: string;
  cluster: boolean;
  /** revert objects changed since the fault, entries of an unknown cluster, and the faults of a run in progress (its lease is live) */
  force: boolean;
}

interface RunJournal {
  runId: string;
  /** the run folder's journal.jsonl, when there is one under --out */
  file?: string;
  fileEntries: JournalEntry[];
  /** the journal ConfigMap's namespace, when the run has one in the cluster */
  configMapNamespace?: string;
  configMapEntries: JournalEntry[];
}

/** A run's outstanding entries, sorted by where they act from the connected cluster's point of view. */
interface Pending {
  run: RunJournal;
  /** the two copies merged, the ConfigMap's states first (mergeJournals) */
  entries: JournalEntry[];
  /** of this cluster or of this machine: reverted */
  mine: JournalEntry[];
  /** of another cluster: listed, never touched */
  elsewhere: JournalEntry[];
  /** of an unknown cluster (older crt): reverted only with --force */
  unknown: JournalEntry[];
}

/** Where a pod's ServiceAccount token is mounted: what client-node's default loading rules look for in a cluster. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * `crt revert`: the faults that runs left in place (crashed, killed, or whose revert failed), found
 * in the run folders under `--out` and in the cluster's journal ConfigMaps, listed (`--list`) or
 * reverted newest first (`--run ID`, `--all`). Only entries of the connected cluster (and of this
 * machine) are reverted; those of other clusters are listed and left alone. Exit 0 when nothing of
 * this cluster is left, 4 when a revert failed, was refused as changed since the fault, or an entry
 * of an unknown cluster was refused.
 */
export async function revertCommand(flags: RevertFlags, io: CliIO, log: Logger): Promise<ExitCodeValue> {
  if (!flags.list && !flags.all && !flags.run) {
    throw new UsageError('say what to revert: --run <run-id>, --all, or --list to see what is outstanding', { hint: 'crt revert --list' });
  }
  const { kube, kubeconfig, namespace, why } = connect(flags);
  const identity = kube ? await readIdentity(kube, flags.list, io) : undefined;
  const runs = readRunFolders(flags.out);
  const journals = kube ? await readClusterJournals(kube, namespace, identity, runs, flags.out, io) : [];
  if (!kube) io.stderr.write(`note: no cluster (${why}); using the run folders under ${flags.out} only\n`);
  // a run in progress (its cluster lease is live) reverts its own faults: its journal is not touched
  const live = kube && !flags.force ? await runInProgress(kube, namespace, Date.now()) : null;
  const inProgress = (runId: string) => (live?.runId === runId ? `in progress on ${live.host} since ${live.startedAt} (its lease ${describeExpiry(live, Date.now())})` : null);
  const pending = [...runs.values()]
    .filter((r) => flags.all || flags.list || r.runId === flags.run)
    .map((r) => classify(r, identity, flags.force))
    .filter((p) => p.mine.length + p.elsewhere.length + p.unknown.length > 0)
    .sort((a, b) => a.run.runId.localeCompare(b.run.runId));

  if (flags.list) {
    listPending(pending, inProgress, io);
    return ExitCode.passed;
  }
  if (flags.run && !runs.has(flags.run)) {
    throw new UsageError(`no journal of run ${flags.run} under ${flags.out}${kube ? ` nor in the cluster at ${kube.server}` : ''}`, {
      hint: kube ? 'crt revert --list shows the runs with outstanding faults' : 'give the cluster with --kubeconfig/--context or --plan, or the run folders with --out',
    });
  }
  if (pending.length === 0) {
    if (kube) await cleanExpiredJournals(kube, journals, io);
    io.stderr.write('nothing to revert\n');
    return ExitCode.passed;
  }
  const refused = pending.filter((p) => inProgress(p.run.runId));
  for (const p of refused) io.stderr.write(`run ${p.run.runId}: not reverted, ${inProgress(p.run.runId)}; it reverts its faults when it ends (--force reverts them now)\n`);
  let failed = 0;
  let changed = 0;
  for (const p of pending) {
    if (p.mine.length > 0 && !refused.includes(p)) {
      const reports = await revertRun(p, { kube, kubeconfig, identity, force: flags.force, ...(flags.plan ? { planFile: path.resolve(flags.plan) } : {}) }, log, io);
      changed += reports.filter((r) => r.changed).length;
      failed += reports.filter((r) => !r.ok && !r.changed).length;
    }
    writeNotTouched(p, identity, io);
  }
  if (kube) await cleanExpiredJournals(kube, journals, io);
  return summarize(pending, { failed, changed, inProgress: refused.length, connected: identity }, flags, io);
}

/** The journals of fully reverted runs past their expiry (JOURNAL_RETENTION_MS) are deleted; `--list` deletes nothing. */
async function cleanExpiredJournals(kube: KubeClients, journals: readonly ClusterJournal[], io: CliIO): Promise<void> {
  const deleted = await deleteExpiredJournals(kube, journals, Date.now(), (name, err) => io.stderr.write(`warning: cannot delete the expired journal ${name}: ${errorMessage(err)}\n`));
  if (deleted.length) io.stderr.write(`deleted ${deleted.length} journal ConfigMap(s) of fully reverted runs past their expiry: ${deleted.join(', ')}\n`);
}

/** The connected cluster's identity; `--list` goes on without it (entries of every cluster then listed as elsewhere). */
async function readIdentity(kube: KubeClients, listOnly: boolean, io: CliIO): Promise<ClusterIdentity | undefined> {
  try {
    return await clusterIdentity(kube);
  } catch (err) {
    if (!listOnly) throw err;
    io.stderr.write(`warning: ${errorMessage(err)}: cannot tell which entries belong to it\n`);
    return undefined;
  }
}

/** Adds the cluster's journal ConfigMaps to `runs` (a warning when they cannot be read: the run folders are used alone). */
async function readClusterJournals(kube: KubeClients, namespace: string | null, identity: ClusterIdentity | undefined, runs: Map<string, RunJournal>, out: string, io: CliIO): Promise<ClusterJournal[]> {
  try {
    const journals = await clusterJournals(kube, namespace);
    for (const j of journals) {
      const run = runs.get(j.runId) ?? { runId: j.runId, fileEntries: [], configMapEntries: [] };
      run.configMapEntries = identity ? adoptCluster(j.entries, identity) : j.entries;
      run.configMapNamespace = j.namespace;
      runs.set(j.runId, run);
    }
    return journals;
  } catch (err) {
    io.stderr.write(`warning: cannot read the journal ConfigMaps at ${kube.server}: ${errorMessage(err)} — using the run folders under ${out} only\n`);
    return [];
  }
}

function classify(run: RunJournal, identity: ClusterIdentity | undefined, force: boolean): Pending {
  const entries = mergeJournals(run.configMapEntries, run.fileEntries);
  const p: Pending = { run, entries, mine: [], elsewhere: [], unknown: [] };
  for (const e of outstandingEntries(entries)) {
    const scope = entryScope(e, identity).kind;
    if (scope === 'here' || scope === 'local' || (scope === 'unknown' && force)) p.mine.push(e);
    else if (scope === 'elsewhere') p.elsewhere.push(e);
    else p.unknown.push(e);
  }
  return p;
}

function listPending(pending: readonly Pending[], inProgress: (runId: string) => string | null, io: CliIO): void {
  if (pending.length === 0) io.stderr.write('nothing to revert\n');
  for (const p of pending) {
    const where = [p.run.file ? path.relative(process.cwd(), p.run.file) : null, p.run.configMapNamespace ? `configmap ${p.run.configMapNamespace}/crt-journal-…` : null].filter(Boolean).join(', ');
    io.stdout.write(`${p.run.runId} (${where})\n`);
    const live = inProgress(p.run.runId);
    if (live) io.stdout.write(`  ${live}: not revertable now\n`);
    for (const e of [...p.mine, ...p.unknown, ...p.elsewhere]) {
      io.stdout.write(`  ${describeEntry(e)}\n    revert: ${JSON.stringify(e.revert)}\n`);
      if (!p.mine.includes(e)) io.stdout.write(`    ${notTouched(e)}\n`);
    }
  }
}

/** Why an entry is left alone: it belongs to another cluster, or its cluster is unknown. */
function notTouched(e: JournalEntry): string {
  const scope = entryScope(e, undefined);
  return scope.kind === 'unknown' ? `${describeScope(scope)}: not reverted unless --force` : `${describeScope(scope)}: not touched from here`;
}

async function revertRun(p: Pending, c: { kube: KubeClients | undefined; kubeconfig: string | undefined; identity: ClusterIdentity | undefined; force: boolean; planFile?: string }, log: Logger, io: CliIO): Promise<RevertReport[]> {
  const stores: JournalStore[] = [];
  // a run folder of the same run id on another cluster is not written to
  if (p.run.file && !p.run.fileEntries.some((e) => entryScope(e, c.identity).kind === 'elsewhere')) stores.push(new FileJournalStore(p.run.file));
  if (c.kube && p.run.configMapNamespace) stores.push(new ConfigMapJournalStore(c.kube, p.run.configMapNamespace, p.run.runId));
  const journal = new Journal(p.run.runId, stores, undefined, p.entries);
  io.stderr.write(`run ${p.run.runId}: ${p.mine.length} to revert\n`);
  return revertJournalEntries(p.mine, journal, {
    clock: systemClock, log, cwd: process.cwd(), force: c.force, ...(c.planFile ? { planFile: c.planFile } : {}), ...(c.kube ? { kube: c.kube } : {}), ...(c.kubeconfig ? { kubeconfig: c.kubeconfig } : {}),
  }, (r) => io.stderr.write(`  ${r.ok ? 'reverted' : r.changed ? 'CHANGED ' : 'FAILED  '} ${r.entry.caseId}/${r.entry.step} ${r.entry.fault}: ${r.detail}\n`));
}

function writeNotTouched(p: Pending, identity: ClusterIdentity | undefined, io: CliIO): void {
  for (const e of p.elsewhere) {
    io.stderr.write(`  not touched ${e.caseId}/${e.step} ${e.fault} of run ${p.run.runId}: ${describeScope(entryScope(e, identity))}${identity ? '' : ' (no cluster connected)'}\n`);
  }
  for (const e of p.unknown) io.stderr.write(`  REFUSED  ${e.caseId}/${e.step} ${e.fault} of run ${p.run.runId}: ${describeScope(entryScope(e, identity))}\n`);
}

function summarize(pending: readonly Pending[], n: { failed: number; changed: number; inProgress: number; connected: ClusterIdentity | undefined }, flags: RevertFlags, io: CliIO): ExitCodeValue {
  const unknown = pending.flatMap((p) => p.unknown.map(() => p.run.runId));
  const elsewhere = pending.reduce((sum, p) => sum + p.elsewhere.length, 0);
  const mine = pending.reduce((sum, p) => sum + p.mine.length, 0);
  const again = flags.run ? `crt revert --run ${flags.run}` : 'crt revert --all';
  if (elsewhere > 0) {
    const here = n.connected ? `the cluster at ${describeCluster(n.connected)}` : 'no cluster';
    io.stderr.write(`${elsewhere} fault(s) belong to another cluster and were not touched (connected to ${here}): revert them connected to their own cluster\n`);
    if (mine === 0 && unknown.length === 0) io.stderr.write('nothing of this cluster to revert\n');
  }
  if (n.changed > 0) {
    io.stderr.write(`${n.changed} revert(s) refused: the object changed since the fault, so crt left it as it is (both states above)\n`);
    io.stderr.write(`hint: to put the state from before the fault back anyway: ${again} --force\n`);
  }
  if (unknown.length > 0) {
    io.stderr.write(`${unknown.length} fault(s) journaled by an older crt name no cluster: not reverted\n`);
    io.stderr.write(`hint: if they were made on this cluster: crt revert --run ${unknown[0]} --force; if not, revert them connected to their cluster, or remove their run folder\n`);
  }
  if (n.failed > 0) io.stderr.write(`${n.failed} revert(s) failed: the cluster may still hold these faults (crt revert --list)\n`);
  if (n.failed + n.changed + unknown.length > 0) return ExitCode.revertFailed;
  // a run in progress was left to revert its own faults: nothing failed, but nothing is known to be clean either
  return n.inProgress > 0 ? ExitCode.environment : ExitCode.passed;
}

/** The cluster to revert on: --plan's, --kubeconfig/--context, or the default kubeconfig when there is one. */
function connect(flags: RevertFlags): { kube?: KubeClients; kubeconfig?: string; namespace: string; why: string } {
  let kubeconfig = flags.kubeconfig ? path.resolve(flags.kubeconfig) : undefined;
  let context = flags.context;
  let namespace = flags.journalNamespace ?? DEFAULT_JOURNAL_NAMESPACE;
  if (!flags.cluster) return { namespace, why: '--no-cluster' };
  if (flags.plan) {
    const { plan } = loadPlan(flags.plan);
    const c = plan.cluster;
    if (!c) return { namespace, why: `${plan.display} has no cluster section` };
    if (c.local) return { namespace, why: `${plan.display} uses an embedded cluster, which lived only as long as its run` };
    kubeconfig ??= c.kubeconfig ? path.resolve(path.dirname(plan.file), c.kubeconfig) : undefined;
    context ??= c.context;
    namespace = flags.journalNamespace ?? c.journalNamespace ?? namespace;
  }
  const defaultFile = process.env.KUBECONFIG || path.join(process.env.HOME ?? '', '.kube', 'config');
  // in a pod (the nightly CronJob of deploy/k8s/) client-node's default rules use the ServiceAccount
  const inCluster = existsSync(SERVICE_ACCOUNT_TOKEN);
  if (!kubeconfig && !inCluster && !existsSync(defaultFile.split(path.delimiter)[0] ?? '')) return { namespace, why: 'no --kubeconfig, no KUBECONFIG or ~/.kube/config, and not in a pod with a ServiceAccount' };
  const kube = kubeClients({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) });
  return { kube, ...(kubeconfig ? { kubeconfig } : {}), namespace, why: '' };
}

/** The journals of the run folders under `out`, by run id. */
function readRunFolders(out: string): Map<string, RunJournal> {
  const runs = new Map<string, RunJournal>();
  if (!existsSync(out)) return runs;
  for (const name of readdirSync(out)) {
    const file = path.resolve(out, name, RUN_FILES.journal);
    if (!existsSync(file)) continue;
    const entries = parseJournal(readFileSync(file, 'utf8'));
    const runId = entries[0]?.runId ?? name;
    runs.set(runId, { runId, file, fileEntries: entries, configMapEntries: [] });
  }
  return runs;
}
