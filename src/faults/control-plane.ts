import { describeCommandResult, parseDuration, runCommand } from '../core/index.js';
import { controlPlaneSwitchBase, isLoopbackSwitch, retryApiCall } from '../kube/index.js';
import type { ActionOf } from '../plan/index.js';
import { DEFAULT_JOURNAL_NAMESPACE } from './journal-configmap.js';
import { checkMarker, deleteMarker, timedCall, touchMarker, waitForApi, writeMarker, type Marker } from './control-plane-api.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';
import { apiMessage, pollDelay, requireKube } from './kube-common.js';

/** How long a write may take to be accepted once one etcd member of three is gone (a leader election included). */
const ETCD_WRITE_WINDOW_MS = 30_000;

export type ControlPlaneComponent = 'apiserver' | 'etcd-member' | 'etcd-quorum' | 'scheduler' | 'controller-manager';
export const DEFAULT_CONTROL_PLANE_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 120_000;


/** The revert, from JSON alone: the API may be the thing that is down, so nothing here needs it to act. */
export interface ControlPlaneRevert extends RevertRecord {
  fault: 'control-plane';
  component: ControlPlaneComponent;
  provider: 'local' | 'command';
  /** local: crt's switch of the embedded cluster's control plane (a loopback URL) */
  switch?: string;
  /** command: the revertCommand, run from `cwd` */
  command?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** local: the ConfigMap written before the fault, read back and deleted at the revert */
  marker?: Marker;
  timeoutMs: number;
  /** local: the processes crt stopped */
  set?: { stopped: string[] };
}

interface ProcessState { id: string; component: string; state: string }

/**
 * `control-plane`: a component of the control plane goes away — the API server, one etcd member, the
 * etcd quorum (a majority of its members), the scheduler or the controller-manager. `local`: the embedded
 * cluster's real control plane, whose processes are killed through crt's switch (found on Namespace
 * kube-system) and started again at the revert. `command`: your commands, for a real cluster (kubeadm
 * static pods, k3s or RKE2 services). Before a local fault crt writes a ConfigMap; during it, it checks
 * what the component's loss means (the API refuses connections, an etcd member's loss leaves writes
 * accepted, the quorum's loss refuses them); at the revert it waits for the API to answer and accept a
 * write, and reads the ConfigMap back: no change lost.
 */
export const controlPlaneFault: FaultDefinition<'control-plane'> = {
  namespaceRule: 'cluster',
  create(action: ActionOf<'control-plane'>) {
    const p = action.params;
    const provider = p.provider ?? (p.command ? 'command' : 'local');
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_CONTROL_PLANE_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        if (provider === 'command') {
          if (!p.command || !p.revertCommand) throw new FaultError('control-plane with provider command needs command and revertCommand');
          const revert: ControlPlaneRevert = { fault: 'control-plane', component: p.component, provider, command: p.revertCommand, cwd: ctx.planDir, env: hookEnv(ctx), timeoutMs };
          return {
            summary: `stop the ${p.component} (command \`${p.command}\`)`,
            targets: [`control-plane/${p.component}`],
            revert,
            async apply() {
              const started = ctx.clock.now();
              await runHook(p.command!, ctx.planDir, hookEnv(ctx), ctx.signal);
              return { detail: `ran \`${p.command}\``, data: { component: p.component, provider, stoppedAt: new Date(ctx.clock.wallNow()).toISOString(), commandMs: Math.round(ctx.clock.now() - started) } };
            },
          };
        }
        const kube = requireKube(ctx, 'control-plane');
        const base = await retryApiCall(() => controlPlaneSwitchBase(kube.core), { clock: ctx.clock, signal: ctx.signal });
        if (!base) {
          throw new FaultError(`control-plane provider local: ${kube.server} is not crt's embedded cluster on the real control plane (Namespace kube-system has no crt.io/control-plane-switch annotation)`,
            'run the plan with cluster.local.controlPlane: kubernetes (crt run --control-plane kubernetes); on a real cluster use provider: command with your own command and revertCommand');
        }
        const processes = await listProcesses(base);
        const ids = pickProcesses(p.component, processes);
        // crt's own marker, beside its journal: not a namespace of the system under test
        const marker: Marker = { namespace: DEFAULT_JOURNAL_NAMESPACE, name: markerName(ctx), value: `${ctx.runId}/${ctx.caseId}/${ctx.step}` };
        const revert: ControlPlaneRevert = { fault: 'control-plane', component: p.component, provider, switch: base, marker, timeoutMs, set: { stopped: ids } };
        const etcdCount = processes.filter((x) => x.component === 'etcd').length;
        return {
          summary: `stop ${ids.join(', ')} of the embedded cluster's control plane (${p.component}${p.component.startsWith('etcd') ? `: ${ids.length} of ${etcdCount} etcd members` : ''})`,
          targets: ids.map((id) => `control-plane/${id}`),
          revert,
          async apply() {
            // the write made before the fault, read back at the revert
            await retryApiCall(() => writeMarker(kube, marker), { clock: ctx.clock, signal: ctx.signal });
            const stoppedAt = new Date(ctx.clock.wallNow()).toISOString();
            for (const id of ids) await setProcess(base, id, 'stopped');
            const effect = await observe(ctx, p.component, marker);
            return { detail: `${ids.join(', ')} killed at ${stoppedAt}; ${effect.detail}`, data: { component: p.component, provider, processes: ids, stoppedAt, ...effect.data } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext) {
    const r = record as ControlPlaneRevert;
    if (r.provider === 'command') {
      await runHook(r.command!, r.cwd, r.env, ctx.signal);
      if (!ctx.kube) return `ran \`${r.command}\``;
      const waitedMs = await waitForApi(ctx, ctx.kube, undefined, r.timeoutMs);
      return `ran \`${r.command}\`; the API answered ${(waitedMs / 1000).toFixed(1)} s later`;
    }
    if (!r.switch || !isLoopbackSwitch(r.switch)) throw new FaultError(`control-plane revert: the journal names no loopback switch (${String(r.switch)})`);
    const stopped = r.set?.stopped ?? [];
    const states = await listProcesses(r.switch);
    const still = stopped.filter((id) => states.find((s) => s.id === id)?.state === 'stopped');
    // etcd members together: each waits for the quorum the others make
    await Promise.all(still.map((id) => setProcess(r.switch!, id, 'running')));
    const started = still.length ? `started ${still.join(', ')} again` : `${stopped.join(', ')} already running: nothing to start`;
    if (!ctx.kube) return `${started} (no cluster to check the API with)`;
    const waitedMs = await waitForApi(ctx, ctx.kube, r.marker, r.timeoutMs);
    if (!r.marker) return `${started}; the API answered ${(waitedMs / 1000).toFixed(1)} s later`;
    await checkMarker(ctx.kube, r.marker);
    await deleteMarker(ctx.kube, r.marker);
    return `${started}; the API answered and accepted writes ${(waitedMs / 1000).toFixed(1)} s later; configmap ${r.marker.namespace}/${r.marker.name}, written before the fault, read back unchanged (no change lost) and deleted`;
  },
};

/** Which processes a component's loss stops: etcd-member the last member, etcd-quorum a majority (the last ones). */
export function pickProcesses(component: ControlPlaneComponent, processes: readonly ProcessState[]): string[] {
  const byComponent = (name: string) => processes.filter((x) => x.component === name);
  let ids: string[];
  switch (component) {
    case 'apiserver': ids = byComponent('kube-apiserver').map((x) => x.id); break;
    case 'scheduler': ids = byComponent('kube-scheduler').map((x) => x.id); break;
    case 'controller-manager': ids = byComponent('kube-controller-manager').map((x) => x.id); break;
    case 'etcd-member':
    case 'etcd-quorum': {
      const members = byComponent('etcd').map((x) => x.id).sort();
      if (component === 'etcd-member' && members.length < 3) {
        throw new FaultError(`control-plane etcd-member needs an etcd of 3 members (this control plane runs ${members.length}): with one, losing it loses the quorum`,
          'crt runs 3 members when the plan has an etcd control-plane fault; for a cluster started by crt cluster up, start it from such a plan');
      }
      ids = component === 'etcd-member' ? members.slice(-1) : members.slice(-(Math.floor(members.length / 2) + 1));
      break;
    }
  }
  const down = ids.filter((id) => processes.find((x) => x.id === id)?.state !== 'running');
  if (ids.length === 0) throw new FaultError(`control-plane: no process of ${component} on this control plane`);
  if (down.length) throw new FaultError(`control-plane: ${down.join(', ')} not running already (another fault, or a crash)`);
  return ids;
}

/** What the loss does, checked through the API once the processes are gone. */
async function observe(ctx: FaultContext, component: ControlPlaneComponent, marker: Marker): Promise<{ detail: string; data: Record<string, unknown> }> {
  const kube = ctx.kube!;
  const at = () => new Date(ctx.clock.wallNow()).toISOString();
  switch (component) {
    case 'apiserver': {
      const read = await timedCall(ctx, () => kube.core.listNamespace({ limit: 1 }));
      if (read.ok) throw new FaultError('the API still answered with kube-apiserver killed');
      return { detail: `API unavailable (${read.why})`, data: { apiUnavailable: read.why } };
    }
    case 'etcd-member': return observeMemberLoss(ctx, () => touchMarker(kube, marker, at()));
    case 'etcd-quorum': {
      const write = await timedCall(ctx, () => touchMarker(kube, marker, at()));
      if (write.ok) throw new FaultError(`the API accepted a write with the etcd quorum lost (in ${write.ms} ms)`);
      const read = await timedCall(ctx, () => kube.core.listNamespace({ limit: 1 }));
      return {
        detail: `the API refuses writes (${write.why}); reads ${read.ok ? 'still served' : `fail too (${read.why})`}`,
        data: { writeRefused: write.why, readsServed: read.ok },
      };
    }
    default:
      return { detail: 'the API still answers; what the component does (scheduling, controllers) stops', data: {} };
  }
}

/**
 * With one member of three gone, writes go on, but losing the leader costs an election first: a write
 * meanwhile is refused (`etcdserver: request timed out`, `leader changed`). Writes are tried again until
 * one is accepted; only none in ETCD_WRITE_WINDOW_MS says writes stopped. The refusals are counted.
 */
async function observeMemberLoss(ctx: FaultContext, write: () => Promise<unknown>): Promise<{ detail: string; data: Record<string, unknown> }> {
  const started = ctx.clock.now();
  const refused: string[] = [];
  for (;;) {
    const left = ETCD_WRITE_WINDOW_MS - (ctx.clock.now() - started);
    const w = await timedCall(ctx, write, Math.max(1000, left));
    const ms = Math.round(ctx.clock.now() - started);
    if (w.ok) {
      const election = refused.length ? `, after ${refused.length} refused while etcd elected a leader: ${refused[0]}` : '';
      return { detail: `writes go on (a write accepted in ${ms} ms${election})`, data: { writeMs: ms, writesRefused: refused.length } };
    }
    refused.push(w.why);
    if (ms >= ETCD_WRITE_WINDOW_MS) throw new FaultError(`writes stopped with one etcd member of three gone: none accepted in ${ETCD_WRITE_WINDOW_MS / 1000} s (${refused.length} refused, the last: ${w.why})`);
    await pollDelay(ctx, 250);
  }
}

async function listProcesses(base: string): Promise<ProcessState[]> {
  const body = (await switchCall(base, '/crt/v1/control-plane', 'GET', 'listing the control plane\'s processes')) as { items?: ProcessState[] };
  return body.items ?? [];
}

function setProcess(base: string, id: string, state: 'stopped' | 'running'): Promise<unknown> {
  return switchCall(base, `/crt/v1/control-plane/${encodeURIComponent(id)}`, 'POST', `${state === 'stopped' ? 'stopping' : 'starting'} ${id}`, { state });
}

async function switchCall(base: string, path: string, method: 'GET' | 'POST', doing: string, body?: object): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/+$/, '')}${path}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new FaultError(`${doing} at ${base} failed: ${apiMessage(err)}`, 'the embedded cluster that served this switch is gone (its crt process ended)');
  }
  if (!res.ok) throw new FaultError(`${doing} at ${base}: HTTP ${res.status}`, await res.text());
  return res.json();
}

/** `crt-control-plane-<run>-<step>`, a valid ConfigMap name, labelled with the run. */
function markerName(ctx: FaultContext): string {
  const slug = `${ctx.runId}-${ctx.caseId}-${ctx.step}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `crt-control-plane-${slug}`.slice(0, 253).replace(/-+$/, '');
}

function hookEnv(ctx: FaultContext): Record<string, string> {
  return { ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), CRT_RUN_ID: ctx.runId, CRT_CASE_ID: ctx.caseId, CRT_STEP: ctx.step };
}

async function runHook(command: string, cwd: string | undefined, env: Record<string, string> | undefined, signal: AbortSignal): Promise<void> {
  const r = await runCommand(command, { cwd, env, timeoutMs: COMMAND_TIMEOUT_MS, signal });
  if (r.exitCode !== 0) throw new FaultError(`\`${command}\` ${describeCommandResult(r)}`, r.stderr || r.stdout);
}
