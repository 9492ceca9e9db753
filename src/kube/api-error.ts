import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, or undefined when it is not an API answer. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/**
 * The one wording of a failed API call, for faults, probes and the runner: the Status message the
 * server sent, when there is one; for a request that got no answer, its network code (ECONNREFUSED)
 * rather than fetch's bare "fetch failed".
 */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const raw: unknown = err.body;
    const body = typeof raw === 'string' ? safeParse(raw) : raw;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `${message} (HTTP ${err.code})` : `HTTP ${err.code}`;
  }
  const cause = (err as { cause?: { code?: unknown } } | null | undefined)?.cause?.code;
  if (typeof cause === 'string') return cause;
  return err instanceof Error ? err.message : String(err);
}

/**
 * What to do about a refusal by the API server's authorizer (403), said after apiMessage; '' for any
 * other failure. A 403 is never transient: crt's identity lacks the permission, and the cure is a grant.
 */
export function forbiddenHint(err: unknown): string {
  if (apiStatus(err) !== 403) return '';
  const ns = /in the namespace "([^"]+)"/.exec(apiMessage(err))?.[1];
  const grant = ns
    ? `grant crt the namespace: add it to cluster.namespaces and run \`kubectl -n ${ns} create rolebinding crt-namespaced-faults --clusterrole=crt-namespaced-faults --serviceaccount=crt:crt\``
    : 'grant crt the permission';
  return `; the API server's authorizer refused crt's identity (RBAC); ${grant} (deploy/k8s/rbac.yaml lists what each fault needs)`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}
