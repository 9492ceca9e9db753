import { CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { readFile } from 'node:fs/promises';
import { EnvironmentError, errorMessage } from '../core/index.js';
import type { KubeClients } from '../kube/index.js';
import { generateK6Script, K6SampleBuilder, type GeneratorMessage, type LoadEngine, type PrepareContext, type PreparedLoad, type ResolvedLoad } from '../load/index.js';
import type { DistributedSpec } from '../plan/index.js';
import { renderK6TestRun, runnerIndex } from './k6-operator.js';
import { workerJobName } from './job-manifest.js';
import { followContainerLog, merged } from './pod-log-stream.js';

const GROUP = 'k6.io';
const VERSION = 'v1alpha1';
const PLURAL = 'testruns';
const POLL_MS = 1000;
/** The runner container of k6-operator's runner pods: named, so that a mesh sidecar does not hide it. */
const K6_CONTAINER = 'k6';
/** TestRun stages at which the runners have started (k6-operator sets them in order) */
const STARTED_STAGES = ['started', 'stopped', 'finished'];
const STARTED_POLL_MS = 250;
/** After an abort, the runners' logs are read this much longer, then closed. */
const ABORT_DRAIN_MS = 5000;
/** k6 writes its JSON output in batches: seconds are final this long after they end */
const OUTPUT_LAG_MS = 2500;

/**
 * `distributed: {via: k6-operator}`: the k6 script (crt's or the load's own) in a ConfigMap and
 * a TestRun with `parallelism: N` in the run's cluster; k6-operator splits the test into N
 * execution segments and starts the runners together. Each runner prints its points to stdout
 * (`--out json=-`); crt reads them from the runner pods' logs while they run, one generator per
 * runner, and merges them exactly into one result. The TestRun and ConfigMap are deleted at the end.
 * Needs k6-operator installed in the cluster (the embedded cluster does not serve its CRD).
 */
export class K6OperatorEngine implements LoadEngine {
  readonly name = 'k6';

  constructor(private readonly kube: KubeClients, private readonly d: DistributedSpec, private readonly runId: string) {}

  async version(): Promise<string> {
    return `k6-operator TestRun (${this.d.image ?? 'operator default runner image'})`;
  }

  async prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    // k6-operator splits the test into N execution segments: crt's script is scaled by N so that
    // each runner carries the load as written, as each worker of via: job does. A script of the
    // user's own is the total, split as it is.
    const n = this.d.generators;
    const scaled = { ...load.spec, stages: load.spec.stages.map((s) => ({ ...s, connections: s.connections * n, rateRps: s.rateRps === null ? null : s.rateRps * n, requests: s.requests === null ? null : s.requests * n })) };
    const script = load.spec.script
      ? await readFile(load.spec.script, 'utf8')
      : generateK6Script({ url: load.url, headers: load.headers, spec: scaled, maxStageMs: ctx.maxStageMs });
    const name = workerJobName(ctx.caseId ?? 'case').replace(/^crt-load-/, 'crt-k6-');
    const rendered = renderK6TestRun({
      name, namespace: this.d.namespace, script, parallelism: this.d.generators, runId: this.runId, caseId: ctx.caseId ?? 'case',
      ...(this.d.image ? { image: this.d.image } : {}), env: runnerEnv(load), extraArgs: load.spec.k6.extraArgs,
    });
    const prepared = new PreparedTestRun(this.kube, rendered, this.d.generators);
    await prepared.create();
    try {
      await prepared.waitStarted(this.d.startTimeoutMs);
    } catch (err) {
      await prepared.dispose();
      throw err;
    }
    return prepared;
  }
}

/**
 * The runners' environment: the target as a local k6 gets it (the generated script reads the headers
 * and the body from there, not from its file, since they may be secrets), then the load's `k6.env`.
 */
export function runnerEnv(load: Pick<ResolvedLoad, 'url' | 'headers'> & { spec: Pick<ResolvedLoad['spec'], 'body' | 'k6'> }): Record<string, string> {
  return { CRT_URL: load.url, CRT_HEADERS: JSON.stringify(load.headers), CRT_BODY: JSON.stringify(load.spec.body ?? null), ...load.spec.k6.env };
}

class PreparedTestRun implements PreparedLoad {
  private readonly custom: CustomObjectsApi;

  constructor(private readonly kube: KubeClients, private readonly r: ReturnType<typeof renderK6TestRun>, private readonly n: number) {
    this.custom = kube.kc.makeApiClient(CustomObjectsApi);
  }

  async create(): Promise<void> {
    const { namespace, name } = this.r.testRun.metadata;
    try {
      await this.kube.core.createNamespacedConfigMap({ namespace, body: this.r.configMap });
      await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body: this.r.testRun });
    } catch (err) {
      await this.dispose();
      throw new EnvironmentError(`cannot create the k6-operator TestRun ${namespace}/${name}: ${errorMessage(err)}`, {
        hint: 'install k6-operator in the cluster (its TestRun CRD), and give crt RBAC for testruns and configmaps there',
        cause: err,
      });
    }
  }

  /**
   * Waits until k6-operator has started the runners together (the TestRun's `status.stage` is
   * `started`, after its starter has resumed every runner): the case's second 0, and its faults,
   * are then when the load really begins (within STARTED_POLL_MS), not when the TestRun was made.
   */
  async waitStarted(timeoutMs: number): Promise<void> {
    const { namespace, name } = this.r.testRun.metadata;
    const deadline = Date.now() + timeoutMs;
    let stage = 'none';
    while (Date.now() < deadline) {
      const tr = (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as { status?: { stage?: string } };
      stage = tr.status?.stage ?? 'none';
      if (STARTED_STAGES.includes(stage)) return;
      if (stage === 'error') throw new EnvironmentError(`k6-operator TestRun ${namespace}/${name} failed before the load started (stage error)`, { hint: `kubectl -n ${namespace} describe testrun ${name}, and the operator's log` });
      await delay(STARTED_POLL_MS);
    }
    throw new EnvironmentError(`the k6 runners of TestRun ${namespace}/${name} did not start within distributed.startTimeout (${Math.round(timeoutMs / 1000)} s): its stage is ${stage}`, {
      hint: 'check the runner image, that the cluster has room for the runners, and its admission (Pod Security); or raise distributed.startTimeout',
    });
  }

  async *start(originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const { namespace, name } = this.r.testRun.metadata;
    const streams = new AbortController();
    const onAbort = () => {
      void this.dispose();
      setTimeout(() => streams.abort(), ABORT_DRAIN_MS).unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const pods = (await this.kube.core.listNamespacedPod({ namespace, labelSelector: `k6_cr=${name},runner=true` })).items;
      yield* merged(pods.map((pod) => this.runner(pod, originMs, streams.signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      streams.abort();
      await this.dispose();
    }
  }

  /** One runner's points, streamed from the log of its `k6` container; zero points from a runner is an error, never silence. */
  private async *runner(pod: V1Pod, originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const podName = pod.metadata?.name ?? '';
    const g = runnerIndex(this.r.testRun.metadata.name, podName);
    if (g === null) return;
    const b = new K6SampleBuilder(originMs, g);
    let points = 0;
    let failure: string | null = null;
    let lastFlush = Date.now();
    try {
      for await (const line of followContainerLog(this.kube, this.r.testRun.metadata.namespace, podName, K6_CONTAINER, signal)) {
        if (!line.startsWith('{')) continue;
        b.addLine(line);
        points++;
        if (Date.now() - lastFlush >= POLL_MS) {
          lastFlush = Date.now();
          const partial = b.flush(Date.now() - OUTPUT_LAG_MS);
          if (partial.samples.length > 0) yield partial;
        }
      }
    } catch (err) {
      failure = errorMessage(err);
    }
    yield b.flush(Infinity, true);
    const now = await this.kube.core.readNamespacedPod({ name: podName, namespace: this.r.testRun.metadata.namespace }).catch(() => null);
    const k6 = now?.status?.containerStatuses?.find((c) => c.name === K6_CONTAINER);
    const exit = k6?.state?.terminated?.exitCode;
    if (exit === 99) {
      yield {
        type: 'expectations', generator: g,
        results: [{ phase: 'whole', metric: `k6 thresholds (runner ${g + 1} of ${this.n})`, bound: 'max', threshold: 0, thresholdText: 'all pass', measured: null, measuredText: 'crossed', verdict: 'failed', reason: `runner ${podName} exited 99: thresholds crossed on its own execution segment` }],
      };
    } else if (failure || points === 0 || (exit !== undefined && exit !== 0)) {
      const why = failure ?? (points === 0 ? `its log (container ${K6_CONTAINER}) held no k6 point` : `k6 exited ${exit}`);
      yield { type: 'error', generator: g, message: `k6 runner ${podName}: ${why}` };
    }
    yield { type: 'done', generator: g, at: Date.now() };
  }

  async dispose(): Promise<void> {
    const { namespace, name } = this.r.testRun.metadata;
    await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }).catch(() => undefined);
    await this.kube.core.deleteNamespacedConfigMap({ name: this.r.configMap.metadata?.name ?? '', namespace }).catch(() => undefined);
  }
}
