import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod, type V1Taint } from '@kubernetes/client-node';
import { describeCommandResult, runCommand } from '../core/command.js';
import { parseDuration } from '../core/units.js';
import type { ActionSpec } from '../plan/types.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { describeTimes, measureNodeLoss, type NodeLossTimes } from './node-loss-watch.js';
import { apiMessage, apiStatus, requireKube } from './kube-common.js';
import { describePick, pickNodes, podsOnNode, type NodePickParams } from './node-pick.js';

export const DEFAULT_NODE_LOSS_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 60_000;
/** The simulation's own key: the node lifecycle controller removes `node.kubernetes.io/unreachable` from a Ready node. */
export const NODE_LOSS_TAINT = 'crt.io/unreachable';

type ProviderName = 'local' | 'command' | 'taint';
/** What the local provider cuts: the node's power (its processes die) or its network link (they keep running). */
type LossMode = 'power' | 'link';

interface LossParams extends NodePickParams {
  provider?: ProviderName;
  mode?: LossMode;
  command?: string;
  revertCommand?: string;
  timeout?: string;
}

/** Everything a revert needs, from JSON alone. */
interface LossRevert extends RevertRecord {
  fault: 'node-loss';
  provider: ProviderName;
  nodes: string[];
  /** local: `link` when the link was cut; absent for a power-off (and in records older than link mode) */
  mode?: 'link';
  /** local: the API server that has the power and link endpoints (the run's cluster is preferred when there is one) */
  server?: string;
  /** command: the revertCommand with {{node}} filled in, one per node */
  commands?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** taint: the exact taint added */
  taint?: V1Taint;
  /** what crt set: the taint (taint), the power or the link (local); the revert undoes only what is still so */
  set?: { taint?: V1Taint; power?: 'off'; link?: 'down' };
}

/** How a node is lost and brought back. `down` is called at injection, `up` by the revert. */
interface NodeLossProvider {
  /** false for a simulation that leaves the kubelet running (the node stays Ready) */
  readonly stopsNode: boolean;
  down(node: string): Promise<void>;
}

/**
 * `node-loss`: a node goes away without a drain, through one of three providers — `local` (the
 * embedded cluster's power switch, or with `mode: link` its network link: the pods live on, cut
 * off), `command` (a user hook, `{{node}}` filled in) or `taint` (a NoExecute taint that evicts like
 * an unreachable node, the kubelet left running). The injection then watches, within `timeout`, how
 * long the node took to turn NotReady and its pods to be evicted.
 */
export const nodeLossFault: FaultDefinition = {
  create(action: ActionSpec) {
    const p = action.params as unknown as LossParams;
    const provider: ProviderName = p.provider ?? (p.command ? 'command' : 'local');
    const mode: LossMode = p.mode ?? 'power';
    // the plan's validation says so with the step's location; this guards plans built in code
    if (mode === 'link' && provider !== 'local') throw new FaultError(`node-loss mode: link needs provider: local, not ${provider}`);
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_NODE_LOSS_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const kube = requireKube(ctx, 'node-loss');
        const nodes = await pickNodes(kube, p, 'node-loss');
        const revert = revertRecord(provider, mode, nodes, p, ctx, kube.server);
        return {
          summary: `lose ${nodes.join(', ')} (${provider === 'local' && mode === 'link' ? 'local, link' : provider}; ${describePick(p)})`,
          targets: nodes.map((n) => `node/${n}`),
          revert,
          async apply() {
            const impl = providerFor(provider, mode, p, ctx, kube.core, kube.server, revert?.taint);
            const times: NodeLossTimes[] = [];
            // Nodes one after another: each measurement starts at its own injection.
            for (const node of nodes) times.push(await loseNode(impl, node, ctx, kube.core, timeoutMs));
            const lines = times.map((t) => describeTimes(t, timeoutMs, impl.stopsNode));
            return { detail: lines.join('; '), data: { provider, ...(provider === 'local' ? { mode } : {}), nodes, timeoutMs, times } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext) {
    const r = record as LossRevert;
    if (r.provider === 'command') {
      for (const command of r.commands ?? []) await runHook(command, r.cwd, r.env, ctx.signal);
      return `ran ${(r.commands ?? []).map((c) => `\`${c}\``).join(', ')}`;
    }
    if (r.provider === 'local') {
      const server = ctx.kube?.server ?? r.server;
      if (!server) throw new FaultError(`node-loss revert: no API server to ${r.mode === 'link' ? 'bring the links up on' : 'power the nodes on'}`);
      const [what, lost, back] = r.mode === 'link' ? (['link', 'down', 'up'] as const) : (['power', 'off', 'on'] as const);
      // only the nodes still as crt left them: one powered on since needs nothing (and a switch is not repeated)
      const still: string[] = [];
      for (const node of r.nodes) if ((await switchState(server, node, what)) === lost) still.push(node);
      for (const node of still) await nodeSwitch(server, node, what, back);
      const undone = what === 'link' ? `link up on ${still.join(', ')}` : `powered on ${still.join(', ')}`;
      return describeUndone(undone, still, r.nodes.filter((n) => !still.includes(n)), `already ${back}`);
    }
    const kube = requireKube(ctx, 'node-loss revert');
    const removed: string[] = [];
    for (const node of r.nodes) if (await removeTaint(kube.core, node, r.taint!)) removed.push(node);
    const undone = `removed the taint ${r.taint!.key}=${r.taint!.value}:${r.taint!.effect} from ${removed.join(', ')}`;
    return describeUndone(undone, removed, r.nodes.filter((n) => !removed.includes(n)), 'without the taint already');
  },
};

function revertRecord(provider: ProviderName, mode: LossMode, nodes: string[], p: LossParams, ctx: FaultContext, server: string): LossRevert | null {
  switch (provider) {
    case 'local':
      return { fault: 'node-loss', provider, nodes, ...(mode === 'link' ? { mode } : {}), server, set: mode === 'link' ? { link: 'down' } : { power: 'off' } };
    case 'taint': {
      const taint: V1Taint = { key: NODE_LOSS_TAINT, value: ctx.runId, effect: 'NoExecute' };
      return { fault: 'node-loss', provider, nodes, taint, set: { taint } };
    }
    case 'command':
      if (!p.revertCommand) return null;
      return { fault: 'node-loss', provider, nodes, commands: nodes.map((n) => fill(p.revertCommand!, n)), cwd: ctx.planDir, env: hookEnv(ctx) };
  }
}

function providerFor(
  name: ProviderName, mode: LossMode, p: LossParams, ctx: FaultContext, core: CoreV1Api, server: string, taint: V1Taint | undefined,
): NodeLossProvider {
  switch (name) {
    case 'local':
      // a lost link silences the kubelet as a power-off does: the node goes NotReady the same way
      return { stopsNode: true, down: (node) => (mode === 'link' ? nodeSwitch(server, node, 'link', 'down') : nodeSwitch(server, node, 'power', 'off')) };
    case 'taint':
      return { stopsNode: false, down: (node) => addTaint(core, node, taint!) };
    case 'command':
      if (!p.command) throw new FaultError('node-loss with provider command needs `command`');
      return { stopsNode: true, down: (node) => runHook(fill(p.command!, node), ctx.planDir, hookEnv(ctx), ctx.signal) };
  }
}

async function loseNode(impl: NodeLossProvider, node: string, ctx: FaultContext, core: CoreV1Api, timeoutMs: number): Promise<NodeLossTimes> {
  const podUids = new Set((await podsOnNode(core, node)).filter(evictedOnLoss).map((pod) => pod.metadata!.uid!));
  const startedMs = ctx.clock.now();
  await impl.down(node);
  return measureNodeLoss(core, ctx.clock, ctx.signal, { node, startedMs, deadlineMs: startedMs + timeoutMs, podUids, expectNotReady: impl.stopsNode });
}

/**
 * The pods a node loss is expected to evict: not already terminating, not mirror or DaemonSet pods,
 * and not tolerating an unreachable node (or every NoExecute taint) forever.
 */
export function evictedOnLoss(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  if (pod.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet')) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  const forever = (pod.spec?.tolerations ?? []).some((t) => (t.effect === undefined || t.effect === 'NoExecute') && t.tolerationSeconds === undefined
    && (t.key === undefined || t.key === '' || t.key === 'node.kubernetes.io/unreachable') && (t.operator === 'Exists' || t.key !== undefined));
  return !forever;
}

const fill = (command: string, node: string): string => command.replaceAll('{{node}}', node);

function hookEnv(ctx: FaultContext): Record<string, string> {
  return { ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), CRT_RUN_ID: ctx.runId, CRT_CASE_ID: ctx.caseId, CRT_STEP: ctx.step };
}

async function runHook(command: string, cwd: string | undefined, env: Record<string, string> | undefined, signal: AbortSignal): Promise<void> {
  const r = await runCommand(command, { cwd, env, timeoutMs: COMMAND_TIMEOUT_MS, signal });
  if (r.exitCode !== 0) throw new FaultError(`\`${command}\` ${describeCommandResult(r)}`, r.stderr || r.stdout);
}

/** The embedded cluster's power and link switches (src/localcluster/apiserver/node-power.ts); a real cluster has neither. */
async function nodeSwitch(server: string, node: string, what: 'power' | 'link', state: 'on' | 'off' | 'up' | 'down'): Promise<void> {
  const url = `${server.replace(/\/+$/, '')}/crt/v1/nodes/${encodeURIComponent(node)}/${what}`;
  const doing = what === 'power' ? `powering ${node} ${state}` : `taking the link of ${node} ${state}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state }) });
  } catch (err) {
    throw new FaultError(`${doing} at ${server} failed: ${apiMessage(err)}`);
  }
  // a node that is gone cannot be brought back, nor needs to be
  if (res.status === 404 && (state === 'on' || state === 'up')) return;
  if (!res.ok) {
    const hint = res.status === 404 ? ' (the local provider needs crt\'s embedded cluster; use provider command or taint elsewhere)' : '';
    throw new FaultError(`${doing} at ${server}: HTTP ${res.status}${hint}`, await res.text());
  }
}

/** What a revert did (`undone`, on `done` nodes), and which nodes had nothing left to undo (`why`). */
function describeUndone(undone: string, done: string[], others: string[], why: string): string {
  const nothing = `${others.join(', ')} ${why}: nothing to undo`;
  if (others.length === 0) return undone;
  return done.length ? `${undone} (${nothing})` : nothing;
}

/** The state of a node's power or link switch; a node that is gone counts as back (nothing to bring back). */
async function switchState(server: string, node: string, what: 'power' | 'link'): Promise<string> {
  const url = `${server.replace(/\/+$/, '')}/crt/v1/nodes/${encodeURIComponent(node)}/${what}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new FaultError(`reading the ${what} of ${node} at ${server} failed: ${apiMessage(err)}`);
  }
  if (res.status === 404) return what === 'power' ? 'on' : 'up';
  if (!res.ok) throw new FaultError(`reading the ${what} of ${node} at ${server}: HTTP ${res.status}`, await res.text());
  return ((await res.json()) as { state?: string }).state ?? '?';
}

async function addTaint(core: CoreV1Api, node: string, taint: V1Taint): Promise<void> {
  await updateTaints(core, node, (taints) => (taints.some((t) => sameTaint(t, taint)) ? taints : [...taints, { ...taint, timeAdded: new Date() }]));
}

/** Removes crt's taint; false when the node no longer has it (or is gone): nothing to undo. */
async function removeTaint(core: CoreV1Api, node: string, taint: V1Taint): Promise<boolean> {
  try {
    return await updateTaints(core, node, (taints) => taints.filter((t) => !sameTaint(t, taint)));
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
    return false;
  }
}

const sameTaint = (a: V1Taint, b: V1Taint): boolean => a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '');

/** Read-modify-write of spec.taints, guarded by resourceVersion: a taint a controller adds meanwhile is not lost. */
async function updateTaints(core: CoreV1Api, node: string, change: (taints: V1Taint[]) => V1Taint[]): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNode({ name: node });
    const taints = current.spec?.taints ?? [];
    const next = change(taints);
    if (next === taints || next.length === taints.length) return false;
    const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { taints: next.length ? next : null } };
    try {
      await core.patchNode({ name: node, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return true;
    } catch (err) {
      if (apiStatus(err) !== 409 || attempt >= 4) throw err;
    }
  }
}
