import { ApiException, type V1Deployment, type V1LabelSelector } from '@kubernetes/client-node';
import { apiMessage, contextNamespace, isApiUnavailable, type KubeClients } from '../kube/index.js';
import type { ProbeSpec } from '../plan/index.js';
import type { Probe, ProbeContext, ProbeOutcome } from './probe.js';

/** How often a Kubernetes probe asks again while the API is unavailable. */
const API_RETRY_MS = 1000;

/** Raised inside a Kubernetes probe when what it looks for is not there: a failed check, not an error. */
export class ProbeMiss extends Error {}

/**
 * Wraps a Kubernetes probe: no cluster, a missing object or an API error is a failed probe whose
 * detail says so, so that a condition marks its case not-run with a reason a person can act on.
 */
export function kubeProbe(spec: ProbeSpec, check: (kube: KubeClients, ctx: ProbeContext) => Promise<ProbeOutcome>): Probe {
  return {
    async check(ctx: ProbeContext): Promise<ProbeOutcome> {
      if (!ctx.kube) return { ok: false, detail: `${spec.kind} needs a cluster: the plan has no \`cluster\` (local or kubeconfig)` };
      let downSince: number | null = null;
      for (;;) {
        try {
          return await check(ctx.kube, ctx);
        } catch (err) {
          if (err instanceof ProbeMiss) return { ok: false, detail: err.message };
          if (!isApiUnavailable(err) && downSince === null) return { ok: false, detail: `${spec.kind} on ${ctx.kube.server}: ${apiMessage(err)}` };
          // the API is gone (a control-plane fault): the check waits for it within its timeout, then says so
          downSince ??= ctx.clock.wallNow();
          const detail = `${spec.kind} on ${ctx.kube.server}: API unavailable since ${new Date(downSince).toISOString()} (${apiMessage(err)})`;
          if (ctx.signal.aborted) return { ok: false, detail };
          try {
            await ctx.clock.sleep(API_RETRY_MS, ctx.signal);
          } catch {
            return { ok: false, detail };
          }
        }
      }
    },
  };
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

/**
 * Bounds an API call by the probe's signal: client-node 1.x takes no signal per request, and a
 * check must end at its timeout even when the server never answers.
 */
export function bounded<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  const stopped = (): Error => new Error((signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'timed out' : 'interrupted');
  if (signal.aborted) return Promise.reject(stopped());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The namespace a probe looks in: its own, else the kubeconfig context's (kube/ contextNamespace). */
export function probeNamespace(kube: KubeClients, params: Record<string, unknown>): string {
  if (typeof params.namespace === 'string') return params.namespace;
  return contextNamespace(kube.kc);
}

/** Whether a Kubernetes LabelSelector (matchLabels and matchExpressions) selects `labels`. */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/**
 * The Deployments a probe is about: the one named, those matching the selector (by their own
 * labels), or every one of the namespace; none at all is a miss.
 */
export async function targetDeployments(kube: KubeClients, params: Record<string, unknown>, signal: AbortSignal): Promise<V1Deployment[]> {
  const namespace = probeNamespace(kube, params);
  if (typeof params.deployment === 'string') {
    try {
      return [await bounded(kube.apps.readNamespacedDeployment({ name: params.deployment, namespace }), signal)];
    } catch (err) {
      if (isNotFound(err)) throw new ProbeMiss(`deployment ${namespace}/${params.deployment} not found`);
      throw err;
    }
  }
  const selector = typeof params.selector === 'string' ? params.selector : undefined;
  const list = await bounded(kube.apps.listNamespacedDeployment({ namespace, ...(selector ? { labelSelector: selector } : {}) }), signal);
  if (list.items.length === 0) throw new ProbeMiss(`no deployment in namespace ${namespace}${selector ? ` matches ${selector}` : ''}`);
  return list.items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
