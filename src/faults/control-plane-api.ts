import type { V1ConfigMap } from '@kubernetes/client-node';
import { answerWithin } from '../core/index.js';
import { apiMessage, apiStatus, type KubeClients } from '../kube/index.js';
import { FaultError, type FaultContext } from './fault.js';
import { pollDelay } from './kube-common.js';

/** How long one API call may take while the control plane is faulted: past it, the call counts as refused. */
export const CALL_TIMEOUT_MS = 5000;
const POLL_MS = 500;

/** A ConfigMap crt writes before a control-plane fault: read back after it, it says no change was lost. */
export interface Marker {
  namespace: string;
  name: string;
  /** the value written before the fault */
  value: string;
}

/** The outcome of one API call made while the control plane is faulted. */
export type CallOutcome = { ok: true; ms: number } | { ok: false; ms: number; why: string };

/** Runs `fn`, bounded by CALL_TIMEOUT_MS (client-node takes no signal per request): a call the API never answers is refused. */
export async function timedCall(ctx: FaultContext, fn: () => Promise<unknown>, timeoutMs = CALL_TIMEOUT_MS): Promise<CallOutcome> {
  const started = ctx.clock.now();
  try {
    await answerWithin(ctx.clock, timeoutMs, fn());
    return { ok: true, ms: Math.round(ctx.clock.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(ctx.clock.now() - started), why: apiStatus(err) ? `HTTP ${apiStatus(err)}: ${apiMessage(err)}` : apiMessage(err) };
  }
}

export function writeMarker(kube: KubeClients, m: Marker): Promise<V1ConfigMap> {
  return kube.core.createNamespacedConfigMap({
    namespace: m.namespace,
    body: { metadata: { name: m.name, labels: { 'app.kubernetes.io/managed-by': 'crt' } }, data: { 'written-before-the-fault': m.value } },
  });
}

/** A write while the control plane is faulted: the marker's data replaced (what etcd-member expects to be accepted, etcd-quorum refused). */
export function touchMarker(kube: KubeClients, m: Marker, at: string): Promise<V1ConfigMap> {
  return kube.core.patchNamespacedConfigMap({ name: m.name, namespace: m.namespace, body: [{ op: 'add', path: '/data/written-during-the-fault', value: at }] });
}

/**
 * Waits until the API answers again and accepts a write (the marker touched), bounded by `timeoutMs`,
 * saying how long it waited in the log every 10 s. Returns how long it took.
 */
export async function waitForApi(ctx: FaultContext, kube: KubeClients, marker: Marker | undefined, timeoutMs: number): Promise<number> {
  const started = ctx.clock.now();
  let said = started;
  for (;;) {
    const read = await timedCall(ctx, () => (marker ? kube.core.readNamespacedConfigMap({ name: marker.name, namespace: marker.namespace }) : kube.core.listNamespace({ limit: 1 })));
    const write = read.ok && marker ? await timedCall(ctx, () => touchMarker(kube, marker, new Date(ctx.clock.wallNow()).toISOString())) : read;
    if (read.ok && write.ok) return Math.round(ctx.clock.now() - started);
    const last = !read.ok ? `reads fail: ${read.why}` : !write.ok ? `writes fail: ${write.why}` : '';
    const now = ctx.clock.now();
    if (now - started >= timeoutMs) throw new FaultError(`the API at ${kube.server} did not come back within ${Math.round(timeoutMs / 1000)} s (${last})`);
    if (now - said >= 10_000) {
      said = now;
      ctx.log.warn({ waitedMs: Math.round(now - started), last }, 'waiting for the API to come back');
    }
    await pollDelay(ctx, POLL_MS);
  }
}

/** Reads the marker back: its value must be the one written before the fault. Throws a FaultError otherwise. */
export async function checkMarker(kube: KubeClients, m: Marker): Promise<void> {
  let cm: V1ConfigMap;
  try {
    cm = await kube.core.readNamespacedConfigMap({ name: m.name, namespace: m.namespace });
  } catch (err) {
    throw new FaultError(`change lost: configmap ${m.namespace}/${m.name}, written before the fault, cannot be read back (${apiMessage(err)})`);
  }
  const value = cm.data?.['written-before-the-fault'];
  if (value !== m.value) throw new FaultError(`change lost: configmap ${m.namespace}/${m.name} holds ${JSON.stringify(value)}, not ${JSON.stringify(m.value)} as written before the fault`);
}

/** Deletes the marker (gone already: nothing to do). */
export async function deleteMarker(kube: KubeClients, m: Marker): Promise<void> {
  try {
    await kube.core.deleteNamespacedConfigMap({ name: m.name, namespace: m.namespace });
  } catch (err) {
    if (apiStatus(err) !== 404) throw new FaultError(`deleting configmap ${m.namespace}/${m.name}: ${apiMessage(err)}`);
  }
}
