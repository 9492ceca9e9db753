import { createHash } from 'node:crypto';
import type { V1Container, V1Deployment, V1DeploymentStrategy, V1EnvVar, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import { stringify } from 'safe-stable-stringify';
import { parseDuration } from '../core/index.js';
import type { ActionOf, FaultParams } from '../plan/index.js';
import { ChangedSinceFault, FaultError, type FaultContext, type FaultDefinition, type RevertOptions, type RevertRecord } from './fault.js';
import { stepNamespace, jsonPatch, kubeCall, requireKube } from './kube-common.js';
import { rolloutWorkload, waitForRollout, type RolloutKind, type RolloutWorkload } from './rollout-status.js';
import { OutageMeter, STRATEGY_TYPE, strategyOps, strategyRevertOps, type StrategyParam } from './rollout-strategy.js';

/** kubectl rollout status waits without limit; a chaos step should not. */
export const DEFAULT_ROLLOUT_TIMEOUT_MS = 5 * 60_000;
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The step's parameters, as the schema types them. */
type RolloutParams = FaultParams['rollout'];

/** The revert: the pod template before the rollout, put back as `kubectl rollout undo` does. */
export interface RolloutRevert extends RevertRecord {
  fault: 'rollout';
  namespace: string;
  /** the workload: a Deployment (every record before StatefulSets had this one) or a StatefulSet */
  deployment?: string;
  statefulset?: string;
  /**
   * the revision the workload was at, null when unset: a Deployment's deployment.kubernetes.io/revision,
   * a StatefulSet's current controller revision (status.currentRevision)
   */
  revision: string | null;
  template: V1PodTemplateSpec;
  /** with a `strategy`: the deployment's strategy before, put back while the deployment still has the one crt set */
  strategy?: V1DeploymentStrategy | null;
  timeoutMs: number;
  /** the template crt made (templateHash) and the revision it became; recorded once the patch is made */
  set?: { templateHash?: string; images?: string[]; revision?: string | null; strategy?: string };
}

/** The workload a record or the plan's parameters name. */
function workloadName(p: { deployment?: string; statefulset?: string }): { kind: RolloutKind; name: string } {
  return p.statefulset !== undefined ? { kind: 'statefulset', name: p.statefulset } : { kind: 'deployment', name: p.deployment ?? '' };
}

/**
 * `rollout`: a rolling restart, a new image or new environment variables on a Deployment or a
 * StatefulSet (whose controller replaces its pods one at a time, highest ordinal first), then waits
 * for the rollout to complete as `kubectl rollout status` does.
 */
export const rolloutFault: FaultDefinition<'rollout'> = {
  namespaceRule: 'namespace',
  create(action: ActionOf<'rollout'>) {
    const p = action.params;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_ROLLOUT_TIMEOUT_MS;
    const act = p.action ?? 'restart';
    const { kind, name } = workloadName(p);
    return {
      async plan(ctx: FaultContext) {
        const namespace = stepNamespace(ctx, p.namespace);
        const w = rolloutWorkload(ctx, kind, namespace, name);
        const d = await w.read();
        const template = d.spec?.template;
        if (!template) throw new FaultError(`${w.label} has no pod template`);
        const revision = w.revision(d);
        const { patch, change } = withStrategy(act === 'restart' ? restartPatch(ctx) : containerPatch(w, d, p, act), p.strategy);
        // pod template models keep the API's field names (client-node renames none of them), so the
        // record's JSON is the template as the server sent it
        const deploymentStrategy: V1DeploymentStrategy | undefined = d.spec && 'strategy' in d.spec ? d.spec.strategy : undefined;
        const revert: RolloutRevert = {
          fault: 'rollout', namespace, [kind]: name, revision, template: structuredClone(template), timeoutMs,
          ...(p.strategy ? { strategy: deploymentStrategy ? structuredClone(deploymentStrategy) : null, set: { strategy: STRATEGY_TYPE[p.strategy] } } : {}),
        };
        const recreate = kind === 'deployment' && (p.strategy ? STRATEGY_TYPE[p.strategy] : deploymentStrategy?.type) === 'Recreate';
        return {
          summary: `roll out ${w.label} (revision ${revision ?? '?'}): ${change}`,
          targets: [`${kind}/${namespace}/${name}`],
          revert,
          async apply(hooks) {
            const started = ctx.clock.now();
            const made = await w.patch(patch.body, patch.json);
            // the template as the server stored it (defaults and webhooks included): what the revert compares
            await hooks?.changed({ templateHash: templateHash(made.spec?.template), images: images(made) });
            const outage = new OutageMeter();
            await waitForRollout(ctx, w, timeoutMs, (read, atMs) => outage.read(read, atMs));
            await hooks?.changed({ revision: w.revision(await w.read()) });
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
    const { kind, name } = workloadName(r);
    const w = rolloutWorkload(ctx, kind, r.namespace, name);
    // only a Deployment's strategy is ever set (the plan refuses strategy with a statefulset)
    const strategyOps = async () => (kind === 'deployment' ? strategyRevertOps(kube, { ...r, deployment: name }) : []);
    if (r.set?.templateHash && !opts.force) {
      const d = await w.read();
      const now = templateHash(d.spec?.template);
      if (now === templateHash(r.template)) {
        const strategy = await strategyOps();
        if (strategy.length === 0) return `${w.label} already has the template of revision ${r.revision ?? '?'}: nothing to undo`;
        await kubeCall(`put the strategy of ${w.label} back`, () => kube.apps.patchNamespacedDeployment({ name, namespace: r.namespace, body: strategy }, jsonPatch()));
        return `${w.label} already has the template of revision ${r.revision ?? '?'}; its strategy is back to ${r.strategy?.type ?? 'the default'}`;
      }
      if (now !== r.set.templateHash) {
        throw new ChangedSinceFault(`${kind}/${r.namespace}/${name}`, `template ${short(r.set.templateHash)} (revision ${r.set.revision ?? '?'}${list(r.set.images)})`, `template ${short(now)} (revision ${w.revision(d) ?? '?'}${list(images(d))})`);
      }
    }
    // as `kubectl rollout undo`: the whole previous template goes back, which starts a rollout to it;
    // the strategy crt set goes back too, unless someone changed it since
    const body = [{ op: 'replace', path: '/spec/template', value: r.template }, ...(await strategyOps())];
    await w.patch(body, true);
    await waitForRollout(ctx, w, r.timeoutMs);
    return `${w.label} rolled back to the template of revision ${r.revision ?? '?'}`;
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
const images = (d: V1Deployment | V1StatefulSet): string[] => (d.spec?.template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image ?? '?'}`);
const list = (items: string[] | undefined): string => (items?.length ? `, ${items.join(' ')}` : '');

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

/** A JSON patch of the named containers' image or env: indices come from the workload read in plan(). */
function containerPatch(w: RolloutWorkload, d: V1Deployment | V1StatefulSet, p: RolloutParams, act: 'image' | 'env'): { patch: Patch; change: string } {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const ops: unknown[] = [];
  const changes: string[] = [];
  const wanted: Record<string, string> = act === 'env' ? {} : typeof p.image === 'string' ? { [containerName(w, containers, p).name]: p.image } : { ...p.image };
  const targets = act === 'env' ? [containerName(w, containers, p).name] : Object.keys(wanted);
  for (const name of targets) {
    const i = containers.findIndex((c) => c.name === name);
    if (i < 0) throw new FaultError(`${w.label}: no container "${name}" (containers: ${containers.map((c) => c.name).join(', ')})`);
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
function containerName(w: RolloutWorkload, containers: V1Container[], p: RolloutParams): V1Container {
  if (p.container) {
    const c = containers.find((x) => x.name === p.container);
    if (!c) throw new FaultError(`${w.label}: no container "${p.container}" (containers: ${containers.map((x) => x.name).join(', ')})`);
    return c;
  }
  if (containers.length !== 1) throw new FaultError(`${w.label} has ${containers.length} containers: say which with container`);
  return containers[0] as V1Container;
}

/** Sets the given variables, keeping the others and their order (as `kubectl set env`). */
function mergeEnv(current: V1EnvVar[], set: Record<string, string>): V1EnvVar[] {
  const out = current.map((e) => (e.name in set ? { name: e.name, value: set[e.name] } : e));
  for (const [name, value] of Object.entries(set)) if (!current.some((e) => e.name === name)) out.push({ name, value });
  return out;
}
