import { AuthorizationV1Api, type KubeConfig, type V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { METRICS_GROUP, METRICS_VERSION } from './metrics-objects.js';
import type { MetricsRequest } from './metrics-api.js';
import type { UserInfo } from './request-header.js';

export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** Decides whether a user may make a request; called once per request after authentication. */
export type Authorize = (user: UserInfo, req: MetricsRequest) => Promise<Decision>;

/** How long a decision is reused: kube-apiserver's webhook authorizer defaults (10 s allowed, 10 s denied). */
const cacheMs = 10_000;
const cacheEntries = 1000;

/** The SubjectAccessReview a request needs. */
export function reviewSpec(user: UserInfo, req: MetricsRequest): V1SubjectAccessReviewSpec {
  const who = { user: user.name, groups: user.groups, extra: user.extra };
  if (req.kind === 'discovery') return { ...who, nonResourceAttributes: { path: req.path, verb: 'get' } };
  return {
    ...who,
    resourceAttributes: {
      group: METRICS_GROUP, version: METRICS_VERSION, resource: req.resource, verb: req.verb,
      ...(req.namespace ? { namespace: req.namespace } : {}), ...(req.name ? { name: req.name } : {}),
    },
  };
}

/**
 * Delegated authorization, as an aggregated API server does it: each request becomes a SubjectAccessReview
 * the API server answers with its own authorizers (RBAC here), so a user the API server lets through to
 * the proxy is still checked against what it may read. Decisions are cached for 10 s.
 */
export function subjectAccessReviewAuthorizer(kc: KubeConfig, now: () => number = Date.now): Authorize {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const cache = new Map<string, { decision: Decision; untilMs: number }>();
  return async (user, req) => {
    const spec = reviewSpec(user, req);
    const key = JSON.stringify(spec);
    const hit = cache.get(key);
    if (hit && hit.untilMs > now()) return hit.decision;
    const review = await api.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
    const decision = { allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) };
    if (cache.size >= cacheEntries) cache.clear();
    cache.set(key, { decision, untilMs: now() + cacheMs });
    return decision;
  };
}
