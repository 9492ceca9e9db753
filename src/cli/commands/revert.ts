import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, errorMessage } from '../../core/errors.js';
import { ExitCode, type ExitCodeValue } from '../../core/exit-codes.js';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import {
  ConfigMapJournalStore, DEFAULT_JOURNAL_NAMESPACE, FileJournalStore, Journal, clusterJournals, outstandingEntries, parseJournal,
  type JournalEntry, type JournalStore,
} from '../../faults/index.js';
import { kubeClients, type KubeClients } from '../../kube/index.js';
import { loadPlan } from '../../plan/index.js';
import { RUN_FILES } from '../../results/run-folder.js';
import { describeEntry, describeExpiry, revertJournalEntries, runInProgress } from '../../runner/index.js';
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
  /** revert the faults of a run in progress too (its lease is live) */
  force?: boolean;
}

interface RunJournal {
  runId: string;
  entries: JournalEntry[];
  file?: string;
  /** the journal ConfigMap's namespace, when the run has one in the cluster */
  configMapNamespace?: string;
}

/** Where a pod's ServiceAccount token is mounted: what client-node's default loading rules look for in a cluster. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const STATUS_RANK: Record<string, number> = { intended: 0, applied: 1, 'apply-failed': 1, 'revert-failed': 2, reverted: 3 };

/**
 * `crt revert`: the faults that runs left in place (crashed, killed, or whose revert failed), found
 * in the run folders under `--out` and in the cluster's journal ConfigMaps, listed (`--list`) or
 * reverted newest first (`--run ID`, `--all`). Exit 0 when nothing is left, 4 when a revert failed.
 */
export async function revertCommand(flags: RevertFlags, io: CliIO, log: Logger): Promise<ExitCodeValue> {
  if (!flags.list && !flags.all && !flags.run) {
    throw new UsageError('say what to revert: --run <run-id>, --all, or --list to see what is outstanding', { hint: 'crt revert --list' });
  }
  const { kube, kubeconfig, namespace, why } = connect(flags);
  const runs = readRunFolders(flags.out);
  if (kube) {
    try {
      for (const j of await clusterJournals(kube, namespace)) {
        const run = runs.get(j.runId) ?? { runId: j.runId, entries: [] };
        run.entries = merge(run.entries, j.entries);
        run.configMapNamespace = j.namespace;
        runs.set(j.runId, run);
      }
    } catch (err) {
      io.stderr.write(`warning: cannot read the journal ConfigMaps at ${kube.server}: ${errorMessage(err)} — using the run folders under ${flags.out} only\n`);
    }
  } else {
    io.stderr.write(`note: no cluster (${why}); using the run folders under ${flags.out} only\n`);
  }
  // a run in progress (its cluster lease is live) reverts its own faults: its journal is not touched
  const live = kube && !flags.force ? await runInProgress(kube, namespace, Date.now()) : null;
  const inProgress = (runId: string) => (live?.runId === runId ? `in progress on ${live.host} since ${live.startedAt} (its lease ${describeExpiry(live, Date.now())})` : null);
  const pending = [...runs.values()]
    .map((r) => ({ run: r, outstanding: outstandingEntries(r.entries) }))
    .filter((p) => p.outstanding.length > 0 && (flags.all || flags.list || p.run.runId === flags.run))
    .sort((a, b) => a.run.runId.localeCompare(b.run.runId));

  if (flags.list) {
    if (pending.length === 0) io.stderr.write('nothing to revert\n');
    for (const p of pending) {
      const where = [p.run.file ? path.relative(process.cwd(), p.run.file) : null, p.run.configMapNamespace ? `configmap ${p.run.configMapNamespace}/crt-journal-…` : null].filter(Boolean).join(', ');
      io.stdout.write(`${p.run.runId} (${where})\n`);
      if (inProgress(p.run.runId)) io.stdout.write(`  ${inProgress(p.run.runId)}: not revertable now\n`);
      for (const e of p.outstanding) io.stdout.write(`  ${describeEntry(e)}\n    revert: ${JSON.stringify(e.revert)}\n`);
    }
    return ExitCode.passed;
  }
  if (flags.run && !runs.has(flags.run)) {
    throw new UsageError(`no journal of run ${flags.run} under ${flags.out}${kube ? ` nor in the cluster at ${kube.server}` : ''}`, {
      hint: kube ? 'crt revert --list shows the runs with outstanding faults' : 'give the cluster with --kubeconfig/--context or --plan, or the run folders with --out',
    });
  }
  if (pending.length === 0) {
    io.stderr.write('nothing to revert\n');
    return ExitCode.passed;
  }
  const refused = pending.filter((p) => inProgress(p.run.runId));
  for (const p of refused) io.stderr.write(`run ${p.run.runId}: not reverted, ${inProgress(p.run.runId)}; it reverts its faults when it ends (--force reverts them now)\n`);
  let failed = 0;
  for (const p of pending.filter((x) => !refused.includes(x))) {
    const stores: JournalStore[] = [];
    if (p.run.file) stores.push(new FileJournalStore(p.run.file));
    if (kube && p.run.configMapNamespace) stores.push(new ConfigMapJournalStore(kube, p.run.configMapNamespace, p.run.runId));
    const journal = new Journal(p.run.runId, stores, undefined, p.run.entries);
    io.stderr.write(`run ${p.run.runId}: ${p.outstanding.length} to revert\n`);
    const reports = await revertJournalEntries(p.outstanding, journal, {
      clock: systemClock, log, cwd: process.cwd(), ...(kube ? { kube } : {}), ...(kubeconfig ? { kubeconfig } : {}),
    }, (r) => io.stderr.write(`  ${r.ok ? 'reverted' : 'FAILED  '} ${r.entry.caseId}/${r.entry.step} ${r.entry.fault}: ${r.detail}\n`));
    failed += reports.filter((r) => !r.ok).length;
  }
  if (failed > 0) {
    io.stderr.write(`${failed} revert(s) failed: the cluster may still hold these faults (crt revert --list)\n`);
    return ExitCode.revertFailed;
  }
  return refused.length > 0 ? ExitCode.environment : ExitCode.passed;
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
    runs.set(runId, { runId, entries, file });
  }
  return runs;
}

/** Two copies of a journal (file and ConfigMap): every state of either, in time order. */
function merge(a: readonly JournalEntry[], b: readonly JournalEntry[]): JournalEntry[] {
  const seen = new Set<string>();
  const all: JournalEntry[] = [];
  for (const e of [...a, ...b]) {
    const key = `${e.id}|${e.status}|${e.at}`;
    if (!seen.has(key)) all.push(e);
    seen.add(key);
  }
  return all.sort((x, y) => x.at.localeCompare(y.at) || (STATUS_RANK[x.status] ?? 0) - (STATUS_RANK[y.status] ?? 0));
}
