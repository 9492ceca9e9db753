import { formatDuration } from '../core/index.js';
import type { NetworkCutData } from '../faults/index.js';
import type { TimeseriesRecord } from '../results/index.js';
import type { Injection } from './timeline.js';

/**
 * Whether each verified network cut had an effect the clients saw: at least one failed request
 * completing between its injection and its revert (plus the request timeout, for requests the cut
 * left hanging). A NetworkPolicy is silently ignored by a CNI that does not enforce policies, and
 * some CNIs keep established connections: a case whose cut changed nothing measured the platform
 * without the fault, so it is inconclusive, not passed. Returns one reason per ineffective cut.
 */
export function ineffectiveCuts(injections: readonly Injection[], records: readonly TimeseriesRecord[] | null, endMs: number, timeoutMs: number): string[] {
  const reasons: string[] = [];
  for (const inj of injections) {
    if (inj.action.kind !== 'network-cut') continue;
    const data = inj.data as NetworkCutData | undefined;
    if (!data?.verify) continue;
    if (!records) {
      reasons.push(`network-cut ${inj.action.name} could not be verified: the case has no load (set verify: false to skip the check)`);
      continue;
    }
    const until = Math.min(endMs, (inj.revertedAtMs ?? endMs) + timeoutMs);
    const first = Math.floor(inj.atMs / 1000);
    const last = Math.floor(until / 1000);
    const inWindow = records.filter((r) => r.sec >= first && r.sec <= last);
    const failed = inWindow.reduce((n, r) => n + (r.requests - r.ok), 0);
    if (failed > 0) continue;
    const requests = inWindow.reduce((n, r) => n + r.requests, 0);
    reasons.push(
      `network-cut ${inj.action.name} had no observable effect: ${requests} request(s) between ${formatDuration(inj.atMs)} and ${formatDuration(until)} and none failed ` +
        '(does the CNI enforce NetworkPolicy? does it keep established connections — try forceReconnect: true?)',
    );
  }
  return reasons;
}
