import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { apiMessage, forbiddenHint, namespaceOr, type KubeClients } from '../kube/index.js';
import { FaultError, type FaultContext } from './fault.js';

// one wording of API errors for faults, probes and the runner: they live in kube/
export { apiMessage, apiStatus } from '../kube/index.js';

/**
 * The namespace a step acts in: its own `namespace:`, else the kubeconfig context's, as kubectl
 * (kube/ namespaceOr: the one namespace default of crt, which probes and the cluster view share).
 */
export function stepNamespace(ctx: Pick<FaultContext, 'kube'>, given: string | undefined): string {
  return namespaceOr(given, ctx.kube?.kc);
}

/** The run's cluster clients; Kubernetes faults cannot act without them. */
export function requireKube(ctx: FaultContext, fault: string): KubeClients {
  if (!ctx.kube) throw new FaultError(`${fault} needs a cluster: the plan has no cluster section (cluster.kubeconfig or cluster.local)`);
  return ctx.kube;
}


/** A failed API call as a fault says it: the server's message, and for a 403 the grant that cures it. */
export function apiFailure(err: unknown): string {
  return `${apiMessage(err)}${forbiddenHint(err)}`;
}

/** Runs an API call, turning its failure into a FaultError that says what was being done. */
export async function kubeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FaultError) throw err;
    throw new FaultError(`${what}: ${apiFailure(err)}`);
  }
}

/** Request options sending a patch body of the given kind (client-node sends JSON patch otherwise). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const jsonPatch = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** Resolves after `ms`, or rejects when `signal` aborts; the loops of the faults wait with it. */
export function pollDelay(ctx: FaultContext, ms: number): Promise<void> {
  return ctx.clock.sleep(ms, ctx.signal);
}
