import { DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { parseDuration } from '../core/index.js';
import type { ActionOf } from '../plan/index.js';
import { ChangedSinceFault, FaultError, type FaultContext, type FaultDefinition, type RevertOptions, type RevertRecord } from './fault.js';
import { stepNamespace, jsonPatch, kubeCall, pollDelay, requireKube } from './kube-common.js';

export const DEFAULT_SWITCH_TIMEOUT_MS = 60_000;
/** How often the Service's endpoints are read while they follow a switch: the gap's resolution. */
const POLL_MS = 100;


/** The revert: the selector the Service had, put back only while the Service still has the one crt set. */
export interface SwitchRevert extends RevertRecord {
  fault: 'switch';
  namespace: string;
  service: string;
  /** the selector before the switch (null: the Service had none) */
  previous: Record<string, string> | null;
  timeoutMs: number;
  set: { selector: Record<string, string> };
}

/** What the endpoints did after a selector change. */
export interface SwitchGap {
  /** from the patch until every ready endpoint is a pod of the new selector (at least one) */
  switchMs: number;
  /** how long, within that, the Service had no ready endpoint at all (clients got refused) */
  noEndpointMs: number;
}

/**
 * `switch`: a blue/green switch. Replaces a Service's selector (blue → green) and measures the switch
 * gap: how long until the Service's EndpointSlices hold only the new pods, and how long they held
 * none. The revert switches back, measured the same way.
 */
export const switchFault: FaultDefinition<'switch'> = {
  namespaceRule: 'namespace',
  create(action: ActionOf<'switch'>) {
    const p = action.params;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_SWITCH_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const namespace = stepNamespace(ctx, p.namespace);
        const kube = requireKube(ctx, 'switch');
        const svc = await kubeCall(`read service ${namespace}/${p.service}`, () => kube.core.readNamespacedService({ name: p.service, namespace }));
        const previous = svc.spec?.selector ?? null;
        const pods = await kubeCall(`list pods of ${selectorText(p.selector)} in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: selectorText(p.selector) }));
        // switching to pods that do not exist is an outage, not a blue/green switch: refused before anything changes
        if (pods.items.filter((pod) => !pod.metadata?.deletionTimestamp).length === 0) {
          throw new FaultError(`switch: no pod of ${selectorText(p.selector)} in ${namespace}: service ${p.service} would have no endpoint`, 'start the green deployment first (a scale step at an earlier offset)');
        }
        const revert: SwitchRevert = { fault: 'switch', namespace, service: p.service, previous, timeoutMs, set: { selector: { ...p.selector } } };
        return {
          summary: `switch service ${namespace}/${p.service} from ${previous ? selectorText(previous) : '(no selector)'} to ${selectorText(p.selector)}`,
          targets: [`service/${namespace}/${p.service}`],
          revert,
          async apply() {
            const started = ctx.clock.now();
            await setSelector(ctx, namespace, p.service, p.selector);
            const gap = await waitForEndpoints(ctx, namespace, p.service, p.selector, started, timeoutMs);
            return { detail: describeGap(gap), data: { previousSelector: previous, selector: p.selector, switchGapMs: gap.switchMs, noEndpointMs: gap.noEndpointMs } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext, opts: RevertOptions = {}) {
    const r = record as SwitchRevert;
    const kube = requireKube(ctx, 'switch');
    const what = `service ${r.namespace}/${r.service}`;
    const svc = await kubeCall(`read ${what}`, () => kube.core.readNamespacedService({ name: r.service, namespace: r.namespace }));
    const now = svc.spec?.selector ?? null;
    if (isDeepStrictEqual(now, r.previous)) return `${what} already has its selector from before the switch (${describe(r.previous)}): nothing to undo`;
    if (!opts.force && !isDeepStrictEqual(now, r.set.selector)) throw new ChangedSinceFault(`service/${r.namespace}/${r.service}`, `selector ${selectorText(r.set.selector)}`, `selector ${describe(now)}`);
    const started = ctx.clock.now();
    await setSelector(ctx, r.namespace, r.service, r.previous);
    if (!r.previous) return `${what} back to no selector`;
    const gap = await waitForEndpoints(ctx, r.namespace, r.service, r.previous, started, r.timeoutMs);
    return `${what} switched back to ${selectorText(r.previous)}: ${describeGap(gap)}`;
  },
};

/** Replaces the whole selector (a merge patch would keep the blue keys the green selector leaves out). */
async function setSelector(ctx: FaultContext, namespace: string, service: string, selector: Record<string, string> | null): Promise<void> {
  const kube = requireKube(ctx, 'switch');
  const body = selector ? [{ op: 'add', path: '/spec/selector', value: selector }] : [{ op: 'remove', path: '/spec/selector' }];
  await kubeCall(`patch service ${namespace}/${service}`, () => kube.core.patchNamespacedService({ name: service, namespace, body }, jsonPatch()));
}

/** Polls the Service's EndpointSlices until every ready endpoint is a pod of `selector` (and one is). */
async function waitForEndpoints(ctx: FaultContext, namespace: string, service: string, selector: Record<string, string>, startedMs: number, timeoutMs: number): Promise<SwitchGap> {
  const kube = requireKube(ctx, 'switch');
  const discovery = kube.kc.makeApiClient(DiscoveryV1Api);
  let noEndpointMs = 0;
  let last = startedMs;
  for (;;) {
    const [slices, pods] = await Promise.all([
      kubeCall(`list endpointslices of service ${namespace}/${service}`, () => discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` })),
      kubeCall(`list pods of ${selectorText(selector)} in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: selectorText(selector) })),
    ]);
    const now = ctx.clock.now();
    const ready = readyPods(slices.items);
    if (ready.length === 0) noEndpointMs += now - last;
    last = now;
    const wanted = new Set(pods.items.map((pod) => pod.metadata?.name));
    if (ready.length > 0 && ready.every((name) => wanted.has(name))) return { switchMs: Math.round(now - startedMs), noEndpointMs: Math.round(noEndpointMs) };
    if (now - startedMs >= timeoutMs) {
      throw new FaultError(`switch of service ${namespace}/${service}: its endpoints did not follow ${selectorText(selector)} within ${Math.round(timeoutMs / 1000)} s (ready: ${ready.join(', ') || 'none'})`);
    }
    await pollDelay(ctx, POLL_MS);
  }
}

/** The pods the Service's slices list as ready (a missing ready condition means ready, as kube-proxy reads it). */
export function readyPods(slices: readonly V1EndpointSlice[]): string[] {
  const names = slices.flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.targetRef?.name).filter((n): n is string => !!n));
  return [...new Set(names)].sort();
}

const selectorText = (selector: Record<string, string>): string => Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
const describe = (selector: Record<string, string> | null): string => (selector ? selectorText(selector) : '(none)');
const describeGap = (gap: SwitchGap): string =>
  `endpoints switched in ${(gap.switchMs / 1000).toFixed(1)} s${gap.noEndpointMs > 0 ? `, ${(gap.noEndpointMs / 1000).toFixed(1)} s of it with no ready endpoint` : ', never without a ready endpoint'}`;
