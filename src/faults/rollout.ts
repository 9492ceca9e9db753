import { createHash } from 'node:crypto';
import type { V1Container, V1Deployment, V1DeploymentStrategy, V1EnvVar, V1PodTemplateSpec } from '@kubernetes/client-node';
import { stringify } from 'safe-stable-stringify';
import { parseDuration } from '../core/units.js';
import type { ActionSpec } from '../plan/types.js';
import { ChangedSinceFault, FaultError, type FaultContext, type FaultDefinition, type RevertOptions, type RevertRecord } from './fault.js';
import { DEFAULT_NAMESPACE, jsonPatch, kubeCall, mergePatch, requireKube } from './kube-common.js';
import { waitForRollout } from './rollout-status.js';
import { OutageMeter, STRATEGY_TYPE, strategyOps, strategyRevertOps, type StrategyParam } from './rollout-strategy.js';

/** kubectl rollout status waits without limit; a chaos step should not. */
export const DEFAULT_ROLLOUT_TIMEOUT_MS = 5 * 60_000;
const REVISION = 'deployment.kubernetes.io/revision';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

interface RolloutParams {
  namespace?: string;
  deployment: string;
  action?: 'restart' | 'image' | 'env';
  image?: string | Record<string, string>;
  container?: string;
  env?: Record<string, string>;
  strategy?: StrategyParam;
  timeout?: string;
}

/** The revert: the pod template before the rollout, put back as `kubectl rollout undo` does. */
export interface RolloutRevert extends RevertRecord {
  fault: 'rollout';
  namespace: string;
  deployment: string;
  /** the revision the deployment was at (deployment.kubernetes.io/revision), null when unset */
  revision: string | null;
  template: V1PodTemplateSpec;
  /** with a `strategy`: the deployment's strategy before, put back while the deployment still has the one crt set */
  strategy?: V1DeploymentStrategy | null;
  timeoutMs: number;
  /** the template crt made (templateHash) and the revision it became; recorded once the patch is made */
  set?: { templateHash?: string; images?: string[]; revision?: string | null; strategy?: string };
}

/**
 * `rollout`: a rolling restart, a new image or new environment variables on a Deployment, then
 * waits for the rollout to complete as `kubectl rollout status` does.
 */
export const rolloutFault: FaultDefinition = {
  create(action: ActionSpec) {
    const p = action.params as unknown as RolloutParams;
    const namespace = p.namespace ?? DEFAULT_NAMESPACE;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_ROLLOUT_TIMEOUT_MS;
    const act = p.action ?? 'restart';
    return {
      async plan(ctx: FaultContext) {
        const kube = requireKube(ctx, 'rollout');
        const d = await kubeCall(`read deployment ${namespace}/${p.deployment}`, () => kube.apps.readNamespacedDeployment({ name: p.deployment, namespace }));
        const template = d.spec?.template;
        if (!template) throw new FaultError(`deployment ${namespace}/${p.deployment} has no pod template`);
        const revision = d.metadata?.annotations?.[REVISION] ?? null;
        const { patch, change } = withStrategy(act === 'restart' ? restartPatch(ctx) : containerPatch(d, p, act), p.strategy);
        // pod template models keep the API's field names (client-node renames none of them), so the
        // record's JSON is the template as the server sent it
        const revert: RolloutRevert = {
          fault: 'rollout', namespace, deployment: p.deployment, revision, template: structuredClone(template), timeoutMs,
          ...(p.strategy ? { strategy: d.spec?.strategy ? structuredClone(d.spec.strategy) : null, set: { strategy: STRATEGY_TYPE[p.strategy] } } : {}),
        };
        const recreate = (p.strategy ? STRATEGY_TYPE[p.strategy] : d.spec?.strategy?.type) === 'Recreate';
        return {
          summary: `roll out deployment ${namespace}/${p.deployment} (revision ${revision ?? '?'}): ${change}`,
          targets: [`deployment/${namespace}/${p.deployment}`],
          revert,
          async apply(hooks) {
            const started = ctx.clock.now();
            const made = await kubeCall(`patch deployment ${namespace}/${p.deployment}`, () =>
              kube.apps.patchNamespacedDeployment({ name: p.deployment, namespace, body: patch.body }, patch.json ? jsonPatch() : mergePatch()));
            // the template as the server stored it (defaults and webhooks included): what the revert compares
            await hooks?.changed({ templateHash: templateHash(made.spec?.template), images: images(made) });
            const outage = new OutageMeter();
            await waitForRollout(ctx, namespace, p.deployment, timeoutMs, (read, atMs) => outage.read(read, atMs));
            await hooks?.changed({ revision: await readRevision(ctx, namespace, p.deployment) });
            const durationMs = Math.round(ctx.clock.now() - started);
            const detail = `rolled out in ${(durationMs / 1000).toFixed(1)} s`;
            if (!recreate) return { detail, data: { previousRevision: revision, rolloutMs: durationMs } };
            // recreate is an outage by design: how long no pod was ready is its measure
            const outageMs = outage.totalMs(ctx.clock.now());
            return { detail: `${detail}, no ready pod for ${(outageMs / 1000).toFixed(1)} s (recreate)`, data: { previousRevision: revision, rolloutMs: durationMs, strategy: 'Recreate', outageMs } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext, opts: RevertOptions = {}) {
    const r = record as RolloutRevert;
    const kube = requireKube(ctx, 'rollout');
    if (r.set?.templateHash && !opts.force) {
      const d = await kubeCall(`read deployment ${r.namespace}/${r.deployment}`, () => kube.apps.readNamespacedDeployment({ name: r.deployment, namespace: r.namespace }));
      const now = templateHash(d.spec?.template);
      if (now === templateHash(r.template)) {
        const strategy = await strategyRevertOps(kube, r);
        if (strategy.length === 0) return `deployment ${r.namespace}/${r.deployment} already has the template of revision ${r.revision ?? '?'}: nothing to undo`;
        await kubeCall(`put the strategy of deployment ${r.namespace}/${r.deployment} back`, () => kube.apps.patchNamespacedDeployment({ name: r.deployment, namespace: r.namespace, body: strategy }, jsonPatch()));
        return `deployment ${r.namespace}/${r.deployment} already has the template of revision ${r.revision ?? '?'}; its strategy is back to ${r.strategy?.type ?? 'the default'}`;
      }
      if (now !== r.set.templateHash) {
        const revision = d.metadata?.annotations?.[REVISION] ?? '?';
        throw new ChangedSinceFault(`deployment/${r.namespace}/${r.deployment}`, `template ${short(r.set.templateHash)} (revision ${r.set.revision ?? '?'}${list(r.set.images)})`, `template ${short(now)} (revision ${revision}${list(images(d))})`);
      }
    }
    // as `kubectl rollout undo`: the whole previous template goes back, which starts a rollout to it;
    // the strategy crt set goes back too, unless someone changed it since
    const body = [{ op: 'replace', path: '/spec/template', value: r.template }, ...(await strategyRevertOps(kube, r))];
    await kubeCall(`undo deployment ${r.namespace}/${r.deployment}`, () =>
      kube.apps.patchNamespacedDeployment({ name: r.deployment, namespace: r.namespace, body }, jsonPatch()));
    await waitForRollout(ctx, r.namespace, r.deployment, r.timeoutMs);
    return `deployment ${r.namespace}/${r.deployment} rolled back to the template of revision ${r.revision ?? '?'}`;
  },
};

/**
 * A pod template's fingerprint: sha256 of its canonical JSON (keys sorted, through JSON first so that
 * a template read from the API and one read back from the journal hash alike). Like the
 * pod-template-hash label, but computable by anyone from the template alone.
 */
export function templateHash(template: V1PodTemplateSpec | undefined): string {
  const plain: unknown = JSON.parse(JSON.stringify(template ?? {}));
  return createHash('sha256').update(stringify(plain) ?? '').digest('hex');
}

const short = (hash: string): string => hash.slice(0, 12);

/** `gateway=demo/gateway:1.1` per container, to show what changed in words. */
const images = (d: V1Deployment): string[] => (d.spec?.template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image ?? '?'}`);
const list = (items: string[] | undefined): string => (items?.length ? `, ${items.join(' ')}` : '');

async function readRevision(ctx: FaultContext, namespace: string, name: string): Promise<string | null> {
  const kube = requireKube(ctx, 'rollout');
  const d = await kubeCall(`read deployment ${namespace}/${name}`, () => kube.apps.readNamespacedDeployment({ name, namespace }));
  return d.metadata?.annotations?.[REVISION] ?? null;
}

export interface Patch {
  body: unknown;
  json: boolean;
}

/** The rollout's patch with the deployment's strategy set too, in the same request (one rollout, under the new strategy). */
function withStrategy(made: { patch: Patch; change: string }, strategy: StrategyParam | undefined): { patch: Patch; change: string } {
  if (!strategy) return made;
  const { patch, change } = made;
  const body = patch.json ? [...(patch.body as unknown[]), ...strategyOps(strategy)] : { spec: { ...(patch.body as { spec: object }).spec, strategy: { type: STRATEGY_TYPE[strategy], rollingUpdate: null } } };
  return { patch: { body, json: patch.json }, change: `${change}, strategy ${STRATEGY_TYPE[strategy]}` };
}

function restartPatch(ctx: FaultContext): { patch: Patch; change: string } {
  const at = new Date(ctx.clock.wallNow()).toISOString();
  return { patch: { body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } }, json: false }, change: `restart (${RESTARTED_AT}: ${at})` };
}

/** A JSON patch of the named containers' image or env: indices come from the deployment read in plan(). */
function containerPatch(d: V1Deployment, p: RolloutParams, act: 'image' | 'env'): { patch: Patch; change: string } {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const ops: unknown[] = [];
  const changes: string[] = [];
  const wanted: Record<string, string> = act === 'env' ? {} : typeof p.image === 'string' ? { [containerName(containers, p).name]: p.image } : { ...p.image };
  const targets = act === 'env' ? [containerName(containers, p).name] : Object.keys(wanted);
  for (const name of targets) {
    const i = containers.findIndex((c) => c.name === name);
    if (i < 0) throw new FaultError(`deployment ${d.metadata?.name}: no container "${name}" (containers: ${containers.map((c) => c.name).join(', ')})`);
    const c = containers[i] as V1Container;
    if (act === 'image') {
      ops.push({ op: 'replace', path: `/spec/template/spec/containers/${i}/image`, value: wanted[name] });
      changes.push(`${name} image ${c.image ?? '?'} → ${wanted[name]}`);
    } else {
      ops.push({ op: 'add', path: `/spec/template/spec/containers/${i}/env`, value: mergeEnv(c.env ?? [], p.env ?? {}) });
      changes.push(`${name} env ${Object.keys(p.env ?? {}).join(', ')}`);
    }
  }
  return { patch: { body: ops, json: true }, change: changes.join('; ') };
}

/** The container `container` names, or the only one. */
function containerName(containers: V1Container[], p: RolloutParams): V1Container {
  if (p.container) {
    const c = containers.find((x) => x.name === p.container);
    if (!c) throw new FaultError(`deployment ${p.deployment}: no container "${p.container}" (containers: ${containers.map((x) => x.name).join(', ')})`);
    return c;
  }
  if (containers.length !== 1) throw new FaultError(`deployment ${p.deployment} has ${containers.length} containers: say which with container`);
  return containers[0] as V1Container;
}

/** Sets the given variables, keeping the others and their order (as `kubectl set env`). */
function mergeEnv(current: V1EnvVar[], set: Record<string, string>): V1EnvVar[] {
  const out = current.map((e) => (e.name in set ? { name: e.name, value: set[e.name] } : e));
  for (const [name, value] of Object.entries(set)) if (!current.some((e) => e.name === name)) out.push({ name, value });
  return out;
}
