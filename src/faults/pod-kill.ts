import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration, parsePercent } from '../core/index.js';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { exceedsMaxPercent, isLivePod, isPodReady, retryApiCall } from '../kube/index.js';
import { stepNamespace, apiFailure, apiStatus, kubeCall, pollDelay, requireKube } from './kube-common.js';
import { killCount, newSeed, pickPods, type PodCandidate } from './pod-pick.js';
import { startRepeat } from './pod-kill-repeat.js';

/** How long apply() watches for the replacements to become Ready before reporting without them. */
export const REPLACEMENT_WAIT_MS = 30_000;
const POLL_MS = 200;

/** The step's parameters, as the schema types them. */
export type PodKillParams = FaultParams['pod-kill'];

interface Target extends PodCandidate {
  uid: string;
  /** owned by a controller (ReplicaSet, StatefulSet…): a replacement is expected */
  controlled: boolean;
  node: string | undefined;
}

/**
 * The revert of a repeating kill. The run that applied it stops the repeat through apply()'s `live`
 * handle; this record (killed pods are not brought back) only says, after a crash, that the repeat died with its process.
 */
export interface PodKillRevert extends RevertRecord {
  fault: 'pod-kill';
  repeatKey: string;
  summary: string;
}

/**
 * `pod-kill`: deletes pods picked among those a selector (or a list of names) matches, then watches
 * for as many replacements to become Ready. `repeat: every 30s` kills again at that interval until
 * `revertAfter` or the end of the case, picking anew each time.
 */
export const podKillFault: FaultDefinition<'pod-kill'> = {
  namespaceRule: 'namespace',
  create(action: ActionOf<'pod-kill'>) {
    const p = action.params;
    return {
      async plan(ctx: FaultContext) {
        const namespace = stepNamespace(ctx, p.namespace);
        const seed = p.seed ?? newSeed();
        const chosen = await resolvePods(ctx, p, seed);
        const names = chosen.map((t) => t.name);
        const what = p.selector ? `${p.selector} in ${namespace}` : `named pods in ${namespace}`;
        const repeatMs = p.repeat ? parseDuration(p.repeat.replace(/^every\s+/, '')) : null;
        const summary = `kill ${names.length} pod(s) of ${what}: ${names.join(', ')} (seed ${seed})${repeatMs ? `, again ${p.repeat}` : ''}`;
        const repeatKey = `${ctx.runId}/${ctx.caseId}/${ctx.step}`;
        const revert: PodKillRevert | null = repeatMs ? { fault: 'pod-kill', repeatKey, summary } : null;
        return {
          summary,
          targets: names.map((n) => `pod/${namespace}/${n}`),
          revert,
          async apply() {
            const result = await killAndWatch(ctx, p, chosen);
            const live = repeatMs ? startRepeat(ctx, repeatMs, (round) => killRound(ctx, p, seed + round)) : undefined;
            return { detail: describeResult(result), data: { seed, namespace, ...result }, live };
          },
        };
      },
    };
  },

  // the repeat lives in the process that applied it, which stops it through its live handle
  async revert() {
    return 'no repeat running in this process: nothing to stop';
  },
};

/** The pods to kill: candidates, capped by maxPercent before anything is touched. */
async function resolvePods(ctx: FaultContext, p: PodKillParams, seed: number): Promise<Target[]> {
  const candidates = await listCandidates(ctx, p);
  if (candidates.length === 0) throw new FaultError(`no running pod matches ${p.selector ?? p.names?.join(', ')} in namespace ${stepNamespace(ctx, p.namespace)}`);
  const n = killCount(candidates.length, p, parsePercent);
  if (exceedsMaxPercent(n, candidates.length, p.maxPercent)) {
    throw new FaultError(`refused: killing ${n} of ${candidates.length} pods is ${Math.round((100 * n) / candidates.length)}%, above maxPercent ${p.maxPercent}`);
  }
  return pickPods(candidates, n, p.pick ?? 'random', seed);
}

async function listCandidates(ctx: FaultContext, p: PodKillParams): Promise<Target[]> {
  return (await listTargeted(ctx, p)).filter(live).map(toTarget);
}

/** The pods the step names: its selector's, or those of its names (whatever their state). */
async function listTargeted(ctx: FaultContext, p: PodKillParams): Promise<V1Pod[]> {
  const kube = requireKube(ctx, 'pod-kill');
  const namespace = stepNamespace(ctx, p.namespace);
  const list = await kubeCall(`list pods in ${namespace}`, () => retryApiCall(
    () => kube.core.listNamespacedPod({ namespace, labelSelector: p.selector }), { clock: ctx.clock, signal: ctx.signal },
  ));
  const wanted = p.names ? new Set(p.names) : null;
  return list.items.filter((pod) => !wanted || wanted.has(pod.metadata?.name ?? ''));
}

// pods being deleted or finished are not candidates: killing them again does nothing
const live = isLivePod;

function toTarget(pod: V1Pod): Target {
  const created = pod.metadata?.creationTimestamp;
  const controlled = pod.metadata?.ownerReferences?.some((o) => o.controller === true) === true;
  return { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', controlled, createdMs: created ? new Date(created).getTime() : 0, node: pod.spec?.nodeName };
}

export interface KillResult {
  killed: { pod: string; node: string | null }[];
  /** pods gone already when deleted */
  missing: string[];
  /** how long after the deletions as many new pods were Ready; null when not seen within the bound */
  replacementsReadyAfterMs: number | null;
  replacements: string[];
  /** the killed pods have no controller: no replacement was waited for */
  unreplaced?: true;
}

async function killAndWatch(ctx: FaultContext, p: PodKillParams, chosen: Target[]): Promise<KillResult> {
  // by UID, not by name: a StatefulSet's replacement has the killed pod's name and a new UID
  const before = new Set((await listCandidates(ctx, p)).map((t) => t.uid));
  const started = ctx.clock.now();
  const { killed, missing } = await deletePods(ctx, p, chosen);
  // a pod no controller owns is not replaced: nothing to wait for
  const expected = chosen.filter((t) => t.controlled && killed.some((k) => k.pod === t.name)).length;
  if (expected === 0) return { killed, missing, replacementsReadyAfterMs: null, replacements: [], ...(killed.length ? { unreplaced: true } : {}) };
  const replacements = await waitForReplacements(ctx, p, before, expected, started + REPLACEMENT_WAIT_MS);
  return { killed, missing, replacements: replacements ?? [], replacementsReadyAfterMs: replacements ? Math.round(ctx.clock.now() - started) : null };
}

async function deletePods(ctx: FaultContext, p: PodKillParams, chosen: Target[]): Promise<Pick<KillResult, 'killed' | 'missing'>> {
  const kube = requireKube(ctx, 'pod-kill');
  const namespace = stepNamespace(ctx, p.namespace);
  const killed: KillResult['killed'] = [];
  const missing: string[] = [];
  await Promise.all(chosen.map(async (t) => {
    try {
      await kube.core.deleteNamespacedPod({ name: t.name, namespace, gracePeriodSeconds: p.gracePeriodSeconds });
      killed.push({ pod: t.name, node: t.node ?? null });
    } catch (err) {
      // deleted meanwhile (a controller, another fault): nothing left to kill
      if (apiStatus(err) === 404) missing.push(t.name);
      else throw new FaultError(`delete pod ${namespace}/${t.name}: ${apiFailure(err)}`);
    }
  }));
  if (killed.length === 0 && missing.length > 0) throw new FaultError(`every picked pod was already gone: ${missing.join(', ')}`);
  return { killed, missing };
}

/**
 * New Ready pods among those the step targets (the selector's, or the named ones), once there are
 * `count` of them; null when the bound passes first. New means a UID not seen before the kill, so a
 * pod recreated under the same name (a StatefulSet's) counts, and a survivor does not.
 */
async function waitForReplacements(ctx: FaultContext, p: PodKillParams, before: Set<string>, count: number, deadline: number): Promise<string[] | null> {
  while (ctx.clock.now() < deadline) {
    const fresh = newReadyPods((await listTargeted(ctx, p)), before);
    if (fresh.length >= count) return fresh;
    await pollDelay(ctx, POLL_MS);
  }
  return null;
}

/** The live, Ready pods whose UID is not in `before`, by name. */
export function newReadyPods(pods: V1Pod[], before: ReadonlySet<string>): string[] {
  return pods.filter((pod) => live(pod) && !before.has(pod.metadata?.uid ?? '') && ready(pod)).map((pod) => pod.metadata?.name ?? '').sort();
}

const ready = isPodReady;

/** One round of a repeat: picks anew (the earlier victims have been replaced) and kills, without waiting. */
async function killRound(ctx: FaultContext, p: PodKillParams, seed: number): Promise<string[]> {
  const chosen = await resolvePods(ctx, p, seed);
  const { killed } = await deletePods(ctx, p, chosen);
  return killed.map((k) => k.pod);
}

function describeResult(r: KillResult): string {
  const ready = r.unreplaced ? 'no replacement expected (no controller owns the pods)' : r.replacementsReadyAfterMs === null ? `replacements not Ready within ${REPLACEMENT_WAIT_MS / 1000} s`
      : `replacements Ready after ${r.replacementsReadyAfterMs} ms`;
  return `killed ${r.killed.map((k) => k.pod).join(', ')}${r.missing.length ? ` (already gone: ${r.missing.join(', ')})` : ''}; ${ready}`;
}
