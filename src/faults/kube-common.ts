import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/index.js';
import { FaultError, type FaultContext } from './fault.js';

export const DEFAULT_NAMESPACE = 'default';

/** The run's cluster clients; Kubernetes faults cannot act without them. */
export function requireKube(ctx: FaultContext, fault: string): KubeClients {
  if (!ctx.kube) throw new FaultError(`${fault} needs a cluster: the plan has no cluster section (cluster.kubeconfig or cluster.local)`);
  return ctx.kube;
}

/** The HTTP status of a failed API call, or undefined when it is not an API answer. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** A readable message for a failed API call: the Status message the server sent, when there is one. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const raw: unknown = err.body;
    const body = typeof raw === 'string' ? safeParse(raw) : raw;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `${message} (HTTP ${err.code})` : `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** Runs an API call, turning its failure into a FaultError that says what was being done. */
export async function kubeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FaultError) throw err;
    throw new FaultError(`${what}: ${apiMessage(err)}`);
  }
}

/** Request options sending a patch body of the given kind (client-node sends JSON patch otherwise). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const jsonPatch = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** Resolves after `ms`, or rejects when `signal` aborts; the loops of the faults wait with it. */
export function pollDelay(ctx: FaultContext, ms: number): Promise<void> {
  return ctx.clock.sleep(ms, ctx.signal);
}
