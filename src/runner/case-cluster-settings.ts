import { errorMessage, type Logger } from '../core/index.js';
import { describeNodeTimings, settingName, type CaseSpec } from '../plan/index.js';
import type { CaseClusterSettingsResult } from '../results/index.js';
import type { CaseEvents } from './case-events.js';
import type { NodeTimingControl } from './cluster-session.js';

const TOLERATIONS_NOTE = 'pods created before the case keep the tolerations they were admitted with, as in Kubernetes';

/** A case's settings in effect on the cluster, and how to set the plan's back. */
export interface AppliedClusterSettings {
  /** what goes to the case result (and run.json); restore() adds restoreError to it when it fails */
  result: CaseClusterSettingsResult;
  /** Sets the plan's values back: called in `finally`, whatever ended the case (also SIGINT). Idempotent; never rejects. */
  restore(): Promise<void>;
}

/**
 * Applies a case's `clusterSettings:` to the embedded cluster before its general conditions, as new
 * control-plane and kubelet flags would. null when the case sets none; `{ error }` when they cannot be
 * applied (the case is then not run: it would measure the plan's settings, not its own).
 */
export async function applyClusterSettings(c: CaseSpec, control: NodeTimingControl | undefined, events: CaseEvents, log: Logger): Promise<AppliedClusterSettings | { error: string } | null> {
  const wanted = c.clusterSettings;
  if (!wanted) return null;
  if (!control) return { error: 'clusterSettings needs the embedded cluster (cluster.local): this run has none to change' };
  let applied;
  try {
    applied = await control.set(wanted.values);
  } catch (err) {
    const error = `could not apply clusterSettings (${describeNodeTimings(wanted.values)}): ${errorMessage(err)}`;
    events.emit({ kind: 'error', name: 'cluster-settings', detail: error });
    return { error };
  }
  const set = Object.keys(wanted.values).map((k) => settingName(k as keyof typeof wanted.values));
  const result: CaseClusterSettingsResult = { applied, set, plan: { ...control.plan } };
  const tolerations = wanted.values.defaultTolerationSeconds !== undefined ? `; defaultTolerationSeconds applies to pods created from now on: ${TOLERATIONS_NOTE}` : '';
  events.emit({ kind: 'note', name: 'cluster-settings', detail: `embedded cluster set for this case: ${describeNodeTimings(wanted.values)}${tolerations}`, data: { applied } });
  log.info({ clusterSettings: applied, set, note: TOLERATIONS_NOTE }, 'case cluster settings applied');
  let restored: Promise<void> | undefined;
  return {
    result,
    restore() {
      restored ??= restore();
      return restored;
    },
  };

  async function restore(): Promise<void> {
    const plan = control!.plan;
    const back = describeNodeTimings(Object.fromEntries(Object.keys(wanted!.values).map((k) => [k, plan[k as keyof typeof plan]])));
    try {
      await control!.set(plan);
      events.emit({ kind: 'note', name: 'cluster-settings', detail: `embedded cluster set back to the plan's ${back}` });
      log.info({ clusterSettings: plan }, 'plan cluster settings restored');
    } catch (err) {
      result.restoreError = errorMessage(err);
      events.emit({ kind: 'error', name: 'cluster-settings', detail: `could not set the plan's ${back} back: ${result.restoreError}` });
      log.error({ err }, 'could not restore the plan cluster settings');
    }
  }
}
