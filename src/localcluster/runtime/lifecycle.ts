import type { Clock } from '../../core/index.js';
import { runProbe, type ProbeResult, type ProbeTarget } from './probe.js';

/** Container lifecycle hooks (`postStart`, `preStop`): exec, httpGet or sleep, bounded by `timeoutMs`. */

export async function runHook(handler: any, target: ProbeTarget, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  if (handler?.sleep) {
    await clock.sleep(Math.min(Number(handler.sleep.seconds ?? 0) * 1000, timeoutMs));
    return { ok: true };
  }
  if (handler?.exec || handler?.httpGet) return runProbe(handler, target, timeoutMs);
  return { ok: false, message: 'lifecycle hook has no supported handler: give it exec, httpGet or sleep' };
}

/** The kubelet's wording for a failed hook, the message of its `FailedPostStartHook`/`FailedPreStopHook` event. */
export function hookFailureMessage(handler: any, container: string, podRef: string, message: string): string {
  const described = handler?.exec
    ? `Exec lifecycle hook ([${(handler.exec.command ?? []).join(' ')}])`
    : `HTTP lifecycle hook (${handler?.httpGet?.path ?? '/'})`;
  return `${described} for Container "${container}" in Pod "${podRef}" failed - error: ${message}`;
}
