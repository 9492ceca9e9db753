import { answerWithin, type Clock } from '../core/index.js';
import type { KubeClients } from '../kube/index.js';

/** How long a fault or a revert that needs the API waits for it to come back, at most. */
export const API_WAIT_MS = 120_000;
const POLL_MS = 1000;
const PROGRESS_MS = 10_000;
const CHECK_TIMEOUT_MS = 5000;

/** Whether the API answers now (a discovery call, bounded: an API server without its etcd quorum may hold a request). */
export function apiAnswers(kube: KubeClients, clock: Clock): Promise<boolean> {
  return answerWithin(clock, CHECK_TIMEOUT_MS, kube.core.getAPIResources()).then(() => true, () => false);
}

export interface ApiWaitOptions {
  kube: KubeClients | undefined;
  clock: Clock;
  /** what waits, for the progress lines ("inject pod-kill-1") */
  what: string;
  /** a progress line every 10 s while waiting ("API unavailable since …") */
  progress: (line: string) => void;
  signal?: AbortSignal;
  maxWaitMs?: number;
}

/**
 * Runs `fn`; when it fails while the API does not answer (a control-plane fault, an outage), waits for
 * the API — bounded by maxWaitMs, saying so every 10 s — and runs it again once. A failure while the API
 * answers is the step's own: thrown at once. Without a cluster, `fn` runs as it is.
 */
export async function withApi<T>(fn: () => Promise<T>, o: ApiWaitOptions): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!o.kube || (await apiAnswers(o.kube, o.clock))) throw err;
    const since = new Date(o.clock.wallNow()).toISOString();
    const started = o.clock.now();
    const maxMs = o.maxWaitMs ?? API_WAIT_MS;
    o.progress(`${o.what}: API unavailable since ${since}; waiting for it (at most ${Math.round(maxMs / 1000)} s)`);
    let said = started;
    for (;;) {
      await o.clock.sleep(POLL_MS, o.signal);
      if (await apiAnswers(o.kube, o.clock)) break;
      const now = o.clock.now();
      if (now - started >= maxMs) throw err;
      if (now - said >= PROGRESS_MS) {
        said = now;
        o.progress(`${o.what}: still waiting for the API (unavailable since ${since}, ${Math.round((now - started) / 1000)} s)`);
      }
    }
    o.progress(`${o.what}: the API answers again after ${((o.clock.now() - started) / 1000).toFixed(1)} s; going on`);
    return fn();
  }
}
