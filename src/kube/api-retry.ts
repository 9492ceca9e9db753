import { ApiException } from '@kubernetes/client-node';
import type { Clock } from '../core/index.js';
import { apiMessage } from './api-error.js';

/**
 * Why an API call failed, as far as retrying is concerned:
 * - `budget`: a 429 from the eviction subresource refusing to break a PodDisruptionBudget (its Status
 *   carries a `DisruptionBudget` cause, or says "disruption budget"): the pod may go later;
 * - `throttled`: any other 429, from API Priority and Fairness or the max-in-flight filter (they send
 *   `Retry-After`, and APF the `X-Kubernetes-PF-*` headers): the server asks the client to slow down;
 * - `transient`: 502, 503, 504, a 500 that sends `Retry-After`, or the connection failing (reset,
 *   refused, timed out) — what client-go's rest client also retries;
 * - `permanent`: anything else (404, 403, 409, 422, a 500 without `Retry-After`…).
 */
export type ApiFailureKind = 'budget' | 'throttled' | 'transient' | 'permanent';

export interface ApiFailure {
  kind: ApiFailureKind;
  /** the HTTP status, undefined for a connection failure */
  status?: number;
  /** what the server asked for (`Retry-After`, or the Status' details.retryAfterSeconds), in ms */
  retryAfterMs?: number;
  /** APF's flow schema and priority level UIDs when the server sent them */
  flowSchema?: string;
  priorityLevel?: string;
  message: string;
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; causes?: Array<{ reason?: string; type?: string; message?: string }> };
}

export function classifyApiFailure(err: unknown): ApiFailure {
  const message = apiMessage(err);
  if (!(err instanceof ApiException)) {
    const code = errorCode(err);
    return { kind: code && TRANSIENT_CODES.has(code) ? 'transient' : 'permanent', message };
  }
  const status = err.code;
  const headers = lowerKeys(err.headers);
  const body = statusBody(err.body);
  const retryAfterMs = retryAfter(headers['retry-after'], body.details?.retryAfterSeconds);
  const pf = {
    ...(headers['x-kubernetes-pf-flowschema-uid'] ? { flowSchema: headers['x-kubernetes-pf-flowschema-uid'] } : {}),
    ...(headers['x-kubernetes-pf-prioritylevel-uid'] ? { priorityLevel: headers['x-kubernetes-pf-prioritylevel-uid'] } : {}),
  };
  const base = { status, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...pf };
  if (status === 429) return { kind: budgetRefusal(body) ? 'budget' : 'throttled', ...base };
  if (TRANSIENT_STATUS.has(status) || (status === 500 && retryAfterMs !== undefined)) return { kind: 'transient', ...base };
  return { kind: 'permanent', ...base };
}

/** The eviction REST's refusals: `Cannot evict pod as it would violate the pod's disruption budget.` with a DisruptionBudget cause. */
function budgetRefusal(body: StatusBody): boolean {
  if (body.details?.causes?.some((c) => c.reason === 'DisruptionBudget' || c.type === 'DisruptionBudget')) return true;
  return /disruption budget/i.test(body.message ?? '');
}

export interface RetryOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** tries in all, the first included (default 5) */
  attempts?: number;
  /** the first back-off, doubled at each retry up to maxDelayMs (defaults 200 ms and 5 s) */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** which failures to retry (default: throttled and transient) */
  retryOn?: ReadonlySet<ApiFailureKind>;
  /** called before each wait, e.g. to count the 429s for the step's data */
  onRetry?: (failure: ApiFailure, attempt: number, delayMs: number) => void;
  /** a number in [0, 1) for the jitter (tests pass a fixed one) */
  random?: () => number;
}

const RETRY_ON: ReadonlySet<ApiFailureKind> = new Set(['throttled', 'transient']);
/** a Retry-After longer than this is not waited for: the caller's own bound decides */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Runs an idempotent API call (a read, an absolute patch, an eviction), retrying 429s and transient
 * failures with exponential back-off and jitter, or after the server's Retry-After. Hand-written
 * rather than p-retry: the wait comes from the injected Clock (tests drive it), and its length from
 * the failure itself (Retry-After), which p-retry's fixed schedule cannot take.
 */
export async function retryApiCall<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const attempts = o.attempts ?? 5;
  const retryOn = o.retryOn ?? RETRY_ON;
  const random = o.random ?? Math.random;
  let backoffMs = o.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const failure = classifyApiFailure(err);
      if (attempt >= attempts || !retryOn.has(failure.kind) || o.signal?.aborted) throw err;
      const delayMs = failure.retryAfterMs !== undefined && failure.retryAfterMs > 0
        ? Math.min(failure.retryAfterMs, MAX_RETRY_AFTER_MS)
        : Math.round(backoffMs * (0.5 + random() / 2));
      backoffMs = Math.min(backoffMs * 2, o.maxDelayMs ?? 5_000);
      o.onRetry?.(failure, attempt, delayMs);
      await o.clock.sleep(delayMs, o.signal);
    }
  }
}

/**
 * Whether a failed call says the API is unavailable (the API server down, or without its etcd quorum),
 * rather than refusing this client: no connection, a connection cut (a watch's stream closed early), a
 * 5xx or a 429. What the cluster view, probes and the run lease report as "API unavailable since …".
 */
export function isApiUnavailable(err: unknown): boolean {
  const f = classifyApiFailure(err);
  if (f.kind === 'transient' || f.kind === 'throttled' || (f.status !== undefined && f.status >= 500)) return true;
  const code = errorCode(err);
  return f.status === undefined && (code === 'ERR_STREAM_PREMATURE_CLOSE' || /premature close|socket hang up|ECONNRESET|ECONNREFUSED/i.test(f.message));
}

/** One line for a failure's kind, for messages and the step's data. */
export function describeFailureKind(f: ApiFailure): string {
  switch (f.kind) {
    case 'budget': return 'refused by a PodDisruptionBudget (429)';
    case 'throttled': return `throttled by the API server (429${f.priorityLevel ? ', API Priority and Fairness' : ''})`;
    case 'transient': return f.status ? `a transient server error (HTTP ${f.status})` : 'a connection failure';
    case 'permanent': return f.status ? `HTTP ${f.status}` : 'an error';
  }
}

function retryAfter(header: string | undefined, seconds: number | undefined): number | undefined {
  if (header !== undefined && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  if (header !== undefined) {
    const at = Date.parse(header);
    // an HTTP-date: not compared with the injected clock (it is monotonic); a date in the past means now
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : undefined;
}

function statusBody(raw: unknown): StatusBody {
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as StatusBody;
    } catch {
      return { message: raw };
    }
  }
  return raw && typeof raw === 'object' ? (raw) : {};
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
