import { errorMessage, type Clock, type Logger } from '../core/index.js';
import { ChangedSinceFault, faultDefinition, type FaultContext, type FaultDefinition, type Journal, type JournalEntry, type RevertOptions, type RevertRecord } from '../faults/index.js';
import type { KubeClients } from '../kube/index.js';

export const REVERT_ATTEMPTS = 3;
export const REVERT_RETRY_MS = 1000;

/**
 * Runs a fault's revert up to REVERT_ATTEMPTS times, a second apart. Reverts run even when the run
 * was interrupted: they get a signal of their own. Returns the revert's description, or throws the
 * last error; a ChangedSinceFault (someone changed the object since) is thrown at once: trying again
 * would not change the answer.
 */
export async function revertWithRetries(
  def: FaultDefinition, record: RevertRecord, ctx: FaultContext, onRetry?: (attempt: number, error: string) => void, opts: RevertOptions = {},
): Promise<string> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= REVERT_ATTEMPTS; attempt++) {
    try {
      return await def.revert(record, { ...ctx, signal: new AbortController().signal }, opts);
    } catch (err) {
      if (err instanceof ChangedSinceFault) throw err;
      lastError = err;
      onRetry?.(attempt, errorMessage(err));
      if (attempt < REVERT_ATTEMPTS) await ctx.clock.sleep(REVERT_RETRY_MS);
    }
  }
  throw lastError;
}

export interface RevertDeps {
  clock: Clock;
  log: Logger;
  kube?: KubeClients;
  kubeconfig?: string;
  /** folder exec reverts run from when their record has none */
  cwd: string;
  /** revert even objects someone changed since the fault (`crt revert --force`) */
  force?: boolean;
  /** the plan a revert may read its step from (exec reverts: the values of `env:`, which the journal does not keep) */
  planFile?: string;
}

export interface RevertReport {
  entry: JournalEntry;
  ok: boolean;
  detail: string;
  /** not reverted because someone changed the object since the fault: what crt set, what is there now */
  changed?: { object: string; crtSet: string; now: string };
}

/** The line a revert refused as changed since the fault gets (case events, the run's revert failures, `crt revert`). */
export function describeChanged(err: ChangedSinceFault): string {
  return `changed since the fault, left as it is: ${err.object}: crt set ${err.crtSet}; now ${err.now}`;
}

/**
 * Reverts journaled entries outside the run that made them (`crt revert`, `crt run --revert-first`),
 * newest first, recording each outcome in `journal` (the run's file and ConfigMap).
 */
export async function revertJournalEntries(entries: readonly JournalEntry[], journal: Journal, d: RevertDeps, onDone?: (r: RevertReport) => void): Promise<RevertReport[]> {
  const out: RevertReport[] = [];
  for (const entry of [...entries].reverse()) {
    const def = faultDefinition(entry.fault);
    let report: RevertReport;
    if (!def || !entry.revert) {
      report = { entry, ok: false, detail: `no revert for fault ${entry.fault} in this build of crt` };
    } else {
      const ctx: FaultContext = {
        runId: entry.runId, caseId: entry.caseId, step: entry.step, clock: d.clock, log: d.log.child({ step: entry.step, fault: entry.fault }),
        signal: new AbortController().signal, planDir: d.cwd, planFile: d.planFile, kube: d.kube, kubeconfig: d.kubeconfig,
      };
      try {
        const detail = await revertWithRetries(def, entry.revert, ctx, (attempt, error) => d.log.warn({ entry: entry.id, attempt, err: error }, 'revert failed'), { force: d.force ?? false });
        report = { entry, ok: true, detail };
      } catch (err) {
        report = err instanceof ChangedSinceFault
          ? { entry, ok: false, detail: describeChanged(err), changed: { object: err.object, crtSet: err.crtSet, now: err.now } }
          : { entry, ok: false, detail: errorMessage(err) };
      }
    }
    try {
      await journal.mark(entry.id, report.ok ? 'reverted' : 'revert-failed', report.detail);
    } catch (err) {
      report = { ...report, detail: `${report.detail} (the journal could not record it: ${errorMessage(err)})` };
    }
    out.push(report);
    onDone?.(report);
  }
  return out;
}
