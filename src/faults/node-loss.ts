import type { CoreV1Api, V1Pod, V1Taint } from '@kubernetes/client-node';
import { describeCommandResult, parseDuration, runCommand } from '../core/index.js';
import { nodeSwitchBase, retryApiCall } from '../kube/index.js';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { describeTimes, measureNodeLoss, type NodeLossTimes } from './node-loss-watch.js';
import { addTaint, isDaemonSetPod, removeTaint, TAINT_EVICTION_KEY, toleratedSeconds } from './node-loss-taint.js';
import { lossBound, type LossBound } from './node-loss-timeout.js';
import { apiMessage, requireKube } from './kube-common.js';
import { describePick, pickNodes, podRef, podsOnNode } from './node-pick.js';

const COMMAND_TIMEOUT_MS = 60_000;

/** `taint` is the older name of `taint-eviction`: plans and journal records may still say it. */
type ProviderName = 'local' | 'command' | 'taint-eviction' | 'taint';
/** What the local provider cuts: the node's power (its processes die) or its network link (they keep running). */
type LossMode = 'power' | 'link';

/** The step's parameters, as the schema types them. */
type LossParams = FaultParams['node-loss'];

/** Everything a revert needs, from JSON alone. */
interface LossRevert extends RevertRecord {
  fault: 'node-loss';
  provider: ProviderName;
  nodes: string[];
  /** local: `link` when the link was cut; absent for a power-off (and in records older than link mode) */
  mode?: 'link';
  /** local: where the power and link switches answer (the builtin API server, or the real control plane's switch server); the run's cluster is preferred when there is one */
  server?: string;
  /** command: the revertCommand with {{node}} filled in, one per node */
  commands?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** taint-eviction: the exact taint added */
  taint?: V1Taint;
  /** what crt set: the taint (taint-eviction), the power or the link (local); the revert undoes only what is still so */
  set?: { taint?: V1Taint; power?: 'off'; link?: 'down' };
}

/** How a node is lost and brought back. `down` is called at injection, `up` by the revert. */
interface NodeLossProvider {
  /** the taint-eviction provider's taint: the node stays Ready, only the pods go */
  readonly taint?: V1Taint;
  down(node: string): Promise<void>;
}

/**
 * `node-loss`: a node goes away without a drain, through one of three providers — `local` (the
 * embedded cluster's power switch, or with `mode: link` its network link: the pods live on, cut
 * off), `command` (a user hook, `{{node}}` filled in) — or is only emptied by `taint-eviction`, a
 * NoExecute taint of crt's own: an eviction by taint, not a node loss (the node stays Ready, its
 * kubelet stops the pods gracefully, the pods' tolerations of an unreachable node do not apply).
 * The injection then watches how long the node took to turn NotReady and its pods to be evicted,
 * within the plan's `timeout`, or a bound derived from the cluster's detection settings and the
 * pods' own tolerations (what a real node loss takes: about 350 s with Kubernetes' defaults).
 */
export const nodeLossFault: FaultDefinition<'node-loss'> = {
  namespaceRule: 'node-of',
  create(action: ActionOf<'node-loss'>) {
    const p = action.params;
    const given: ProviderName = p.provider ?? (p.command ? 'command' : 'local');
    const provider = given === 'taint' ? 'taint-eviction' : given;
    const mode: LossMode = p.mode ?? 'power';
    // the plan's validation says so with the step's location; this guards plans built in code
    if (mode === 'link' && provider !== 'local') throw new FaultError(`node-loss mode: link needs provider: local, not ${provider}`);
    const planTimeoutMs = p.timeout ? parseDuration(p.timeout) : undefined;
    return {
      async plan(ctx: FaultContext) {
        const kube = requireKube(ctx, 'node-loss');
        const { nodes, excluded } = await pickNodes(kube, p, 'node-loss', ctx);
        // where the switches answer (the real control plane's embedded cluster serves them beside the API
        // server): a revert from the record alone, without clients to read the Node's annotation, finds them
        const switches = provider === 'local' && nodes[0] ? await nodeSwitchBase(kube.server, nodes[0], kube.core) : kube.server;
        const revert = revertRecord(provider, mode, nodes, p, ctx, switches);
        const what = provider === 'taint-eviction' ? `evict the pods of ${nodes.join(', ')} by taint ${TAINT_EVICTION_KEY}:NoExecute (not a node loss: the nodes stay Ready)`
          : `lose ${nodes.join(', ')} (${provider === 'local' && mode === 'link' ? 'local, link' : provider}`;
        return {
          summary: `${what}${provider === 'taint-eviction' ? ' (' : '; '}${describePick(p, ctx.kube?.kc)})${excluded.length ? `; not ${excluded.join(', ')}` : ''}`,
          targets: nodes.map((n) => `node/${n}`),
          revert,
          async apply() {
            const impl = providerFor(provider, mode, p, ctx, kube.core, kube.server, revert?.taint);
            const times: NodeLossTimes[] = [];
            const bounds: LossBound[] = [];
            const warnings: string[] = [];
            // Nodes one after another: each measurement starts at its own injection.
            for (const node of nodes) {
              const { time, bound, warning } = await loseNode(impl, node, ctx, planTimeoutMs);
              times.push(time);
              bounds.push(bound);
              if (warning) warnings.push(warning);
            }
            const lines = times.map((t, i) => describeTimes(t, bounds[i]!, !impl.taint));
            const kind = impl.taint ? 'eviction by taint, not a node loss: ' : '';
            return {
              detail: `${kind}${lines.join('; ')}${warnings.length ? `; warning: ${warnings.join('; ')}` : ''}`,
              data: {
                provider, ...(provider === 'local' ? { mode } : {}), simulates: impl.taint ? 'eviction-by-taint' : 'node-loss', nodes,
                timeoutMs: Math.max(...bounds.map((b) => b.timeoutMs)), bounds, times, ...(warnings.length ? { warnings } : {}), ...(excluded.length ? { excluded } : {}),
              },
            };
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
      const core = ctx.kube?.core;
      for (const node of r.nodes) if ((await switchState(await nodeSwitchBase(server, node, core), node, what)) === lost) still.push(node);
      for (const node of still) await nodeSwitch(await nodeSwitchBase(server, node, core), node, what, back);
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
    case 'taint':
    case 'taint-eviction': {
      const taint: V1Taint = { key: TAINT_EVICTION_KEY, value: ctx.runId, effect: 'NoExecute' };
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
      return {
        down: async (node) => {
          const base = await nodeSwitchBase(server, node, core);
          await (mode === 'link' ? nodeSwitch(base, node, 'link', 'down') : nodeSwitch(base, node, 'power', 'off'));
        },
      };
    case 'taint':
    case 'taint-eviction':
      return { taint: taint!, down: (node) => retryApiCall(() => addTaint(core, node, taint!), { clock: ctx.clock, signal: ctx.signal }) };
    case 'command':
      if (!p.command) throw new FaultError('node-loss with provider command needs `command`');
      return { down: (node) => runHook(fill(p.command!, node), ctx.planDir, hookEnv(ctx), ctx.signal) };
  }
}

async function loseNode(impl: NodeLossProvider, node: string, ctx: FaultContext, planTimeoutMs: number | undefined): Promise<{ time: NodeLossTimes; bound: LossBound; warning?: string }> {
  const core = ctx.kube!.core;
  const before = await retryApiCall(() => podsOnNode(core, node), { clock: ctx.clock, signal: ctx.signal });
  const pods = before.filter((pod) => (impl.taint ? evictedByTaint(pod, impl.taint) : evictedOnLoss(pod)));
  const bound = lossBound(pods, { taint: impl.taint, timings: ctx.nodeTimings, planTimeoutMs });
  // a DaemonSet pod that does not tolerate crt's taint is evicted and not recreated until the revert (a real lost node keeps its agents: they tolerate it)
  const agents = impl.taint ? pods.filter(isDaemonSetPod).map(podRef) : [];
  const startedMs = ctx.clock.now();
  await impl.down(node);
  const time = await measureNodeLoss(ctx.kube!, ctx.clock, ctx.signal, {
    node, startedMs, deadlineMs: startedMs + bound.timeoutMs, podUids: new Set(pods.map((pod) => pod.metadata!.uid!)), expectNotReady: !impl.taint,
  });
  return { time, bound, ...(agents.length ? { warning: `DaemonSet pods ${agents.join(', ')} do not tolerate ${impl.taint!.key}: evicted, and not recreated until the revert` } : {}) };
}

/**
 * The pods a node loss is expected to evict: not already terminating, not mirror or DaemonSet pods,
 * and not tolerating an unreachable node (or every NoExecute taint) forever.
 */
export function evictedOnLoss(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  if (isDaemonSetPod(pod)) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return toleratedSeconds(pod, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }) !== Infinity;
}

/**
 * The pods crt's taint evicts: every running pod that does not tolerate it forever, DaemonSet pods
 * included (the taint eviction controller spares no owner); mirror pods are the kubelet's own.
 */
export function evictedByTaint(pod: V1Pod, taint: V1Taint): boolean {
  if (pod.metadata?.deletionTimestamp || pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return toleratedSeconds(pod, taint) !== Infinity;
}

const fill = (command: string, node: string): string => command.replaceAll('{{node}}', node);

function hookEnv(ctx: FaultContext): Record<string, string> {
  return { ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), CRT_RUN_ID: ctx.runId, CRT_CASE_ID: ctx.caseId, CRT_STEP: ctx.step };
}

async function runHook(command: string, cwd: string | undefined, env: Record<string, string> | undefined, signal: AbortSignal): Promise<void> {
  const r = await runCommand(command, { cwd, env, timeoutMs: COMMAND_TIMEOUT_MS, signal });
  if (r.exitCode !== 0) throw new FaultError(`\`${command}\` ${describeCommandResult(r)}`, r.stderr || r.stdout);
}

/**
 * The embedded cluster's power and link switches (src/localcluster/apiserver/node-power.ts), at `server`:
 * the builtin API server, or where the Node's annotation says (nodeSwitchBase); a real cluster has neither.
 */
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
