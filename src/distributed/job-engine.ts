import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { dependencyVersion, EnvironmentError, errorMessage } from '../core/index.js';
import { inClusterUrl, type KubeClients } from '../kube/index.js';
import { parseWorkerLine, type GeneratorMessage, type LoadEngine, type PrepareContext, type PreparedLoad, type ResolvedLoad, type WorkerConfig } from '../load/index.js';
import type { DistributedSpec } from '../plan/index.js';
import { defaultWorkerImage, renderWorkerJob, WORKER_CONTAINER, WORKER_JOB_LABEL, workerJobName } from './job-manifest.js';
import { followContainerLog, merged } from './pod-log-stream.js';

/** Time the workers get to be scheduled and booted before second 0, at the first attempt (an image already on the nodes). */
export const WORKER_START_LEAD_MS = 5000;
const POLL_MS = 200;
const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** After an abort, the workers' logs are read this much longer (their last seconds), then closed. */
const ABORT_DRAIN_MS = 5000;

/**
 * `distributed: {generators: N, on: cluster}`: the load runs in N `crt worker` pods of an
 * Indexed Job in the run's cluster, all with second 0 at the same wall-clock instant. Their
 * per-second samples (with whole HDR histograms) are streamed from the pods' logs while they run
 * and handed to the runner as generators 0..N-1, which merges them exactly like autocannon's
 * threads. The Job is deleted at the end, on abort too.
 */
export class DistributedJobEngine implements LoadEngine {
  readonly name = 'autocannon';

  constructor(private readonly kube: KubeClients, private readonly d: DistributedSpec, private readonly runId: string) {}

  async version(): Promise<string> {
    return dependencyVersion('autocannon');
  }

  /**
   * Starts the workers so that all of them begin at one instant, and returns at that instant: the
   * case's second 0 (and its faults) is when the workers really start. Their second 0 is fixed when
   * the Job is made (its pods' environment), so a Job whose workers do not all run a little before it
   * is deleted before any sends a request, and made again with twice the lead (the image is being
   * pulled meanwhile), until `distributed.startTimeout` has passed.
   */
  async prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    const deadlineMs = Date.now() + this.d.startTimeoutMs;
    const states: string[] = [];
    for (let leadMs = WORKER_START_LEAD_MS; ; leadMs *= 2) {
      const lead = Math.min(leadMs, Math.max(1000, deadlineMs - Date.now()));
      const startAtMs = Date.now() + lead;
      const job = await this.create(load, ctx, startAtMs);
      const late = await job.waitRunning(startAtMs - 500).catch(async (err: unknown) => {
        await job.delete();
        throw err;
      });
      if (late === null) {
        const wait = startAtMs - Date.now();
        if (wait > 0) await delay(wait);
        return new PreparedJob(job);
      }
      // not one worker has reached its second 0: deleting them now sends nothing to the target
      await job.delete();
      states.push(`after ${(lead / 1000).toFixed(1)} s, ${late}`);
      if (startAtMs >= deadlineMs) {
        throw new EnvironmentError(`the ${this.d.generators} load workers did not all run within distributed.startTimeout (${Math.round(this.d.startTimeoutMs / 1000)} s): ${states.join('; ')}`, {
          hint: 'check the workers\' image (distributed.image, built from deploy/k8s/Dockerfile), that the cluster has room for them (each requests 250m CPU, 128Mi), and its admission (Pod Security); or raise distributed.startTimeout',
        });
      }
      ctx.log.warn({ leadMs, late }, 'distributed load: workers not all running before their start; trying again with a longer lead');
    }
  }

  private async create(load: ResolvedLoad, ctx: PrepareContext, startAtMs: number): Promise<WorkerJob> {
    const name = workerJobName(ctx.caseId ?? 'case');
    const namespace = this.d.namespace;
    // the workers run in pods: the Service's in-cluster address, not the one this machine reaches it at
    const config: WorkerConfig = { url: await inClusterUrl(this.kube, load.url), headers: load.headers, spec: load.spec, startAtMs, maxStageMs: ctx.maxStageMs };
    const deadlineSec = Math.ceil((startAtMs - Date.now() + ctx.maxStageMs * load.spec.stages.length + load.spec.timeoutMs) / 1000) + 60;
    const body = renderWorkerJob({ name, namespace, image: this.d.image ?? defaultWorkerImage(), generators: this.d.generators, runId: this.runId, caseId: ctx.caseId ?? 'case', config, deadlineSec });
    try {
      await this.kube.batch.createNamespacedJob({ namespace, body });
    } catch (err) {
      throw new EnvironmentError(`cannot create the load workers' Job ${namespace}/${name}: ${errorMessage(err)}`, { hint: 'crt needs RBAC to create Jobs and read pod logs in that namespace (the role crt-distributed-load of deploy/k8s/rbac.yaml)', cause: err });
    }
    ctx.log.info({ job: name, namespace, generators: this.d.generators, startAt: new Date(startAtMs).toISOString() }, 'distributed load: workers created');
    return new WorkerJob(this.kube, name, namespace, this.d.generators);
  }
}

class WorkerJob {
  constructor(readonly kube: KubeClients, readonly name: string, readonly namespace: string, readonly generators: number) {}

  async pods(): Promise<V1Pod[]> {
    return (await this.kube.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${WORKER_JOB_LABEL}=${this.name}` })).items;
  }

  /** null once every worker pod runs; at `deadlineMs`, which are not and why. Throws when a worker failed. */
  async waitRunning(deadlineMs: number): Promise<string | null> {
    for (;;) {
      const pods = await this.pods();
      const failed = pods.find((p) => p.status?.phase === 'Failed');
      if (failed) throw new EnvironmentError(`load worker ${failed.metadata?.name ?? '?'} failed before the load: ${describePod(failed)}`, { hint: 'kubectl logs it, and check distributed.image' });
      const running = pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Succeeded');
      if (running.length >= this.generators) return null;
      if (Date.now() >= deadlineMs) return `${running.length} of ${this.generators} running (${pods.map((p) => `${p.metadata?.name}: ${describePod(p)}`).join('; ') || 'no pods'})`;
      await delay(POLL_MS);
    }
  }

  /** Deletes the Job and its pods; never throws (it runs in finally). */
  async delete(): Promise<void> {
    await this.kube.batch.deleteNamespacedJob({ name: this.name, namespace: this.namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    await this.kube.core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector: `${WORKER_JOB_LABEL}=${this.name}` }).catch(() => undefined);
  }
}

function describePod(p: V1Pod): string {
  const c = p.status?.containerStatuses?.find((s) => s.name === WORKER_CONTAINER);
  const why = c?.state?.waiting?.reason ? ` (${c.state.waiting.reason}${c.state.waiting.message ? `: ${c.state.waiting.message}` : ''})` : c?.state?.terminated?.message ? ` (${c.state.terminated.message})` : '';
  const unschedulable = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False')?.message;
  return `${p.status?.phase ?? 'unknown'}${why}${unschedulable ? ` (${unschedulable})` : ''}`;
}

class PreparedJob implements PreparedLoad {
  constructor(private readonly job: WorkerJob) {}

  /** Each worker's log streamed once; samples stamped from the workers' common second 0 (they ran from it). */
  async *start(originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const streams = new AbortController();
    const onAbort = () => {
      void this.job.delete();
      setTimeout(() => streams.abort(), ABORT_DRAIN_MS).unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const pods = await this.job.pods();
      yield* merged(pods.map((pod) => this.worker(pod, originMs, streams.signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      streams.abort();
      await this.job.delete();
    }
  }

  /** One worker's messages, ending with `done`; a log that ends early or holds no sample is an error, never silence. */
  private async *worker(pod: V1Pod, originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const index = Number(pod.metadata?.annotations?.[INDEX_ANNOTATION] ?? pod.metadata?.labels?.[INDEX_ANNOTATION]);
    const name = pod.metadata?.name ?? '';
    if (!Number.isInteger(index)) return;
    let samples = 0;
    let done = false;
    let failure: string | null = null;
    try {
      for await (const line of followContainerLog(this.job.kube, this.job.namespace, name, WORKER_CONTAINER, signal)) {
        const m = parseWorkerLine(line, index);
        if (!m) continue;
        if (m.type === 'samples') {
          samples += m.samples.length;
          m.samples = m.samples.map((s) => ({ ...s, t: originMs + s.sec * 1000 }));
        }
        yield m;
        // a worker's last message: what may follow in its log (its process ending) is not the load's
        if (m.type === 'done') {
          done = true;
          break;
        }
      }
    } catch (err) {
      failure = errorMessage(err);
    }
    if (done) return;
    const now = await this.job.kube.core.readNamespacedPod({ name, namespace: this.job.namespace }).catch(() => null);
    const why = failure ?? (now?.status?.phase === 'Failed' ? `it failed: ${describePod(now)}` : signal.aborted ? null : `its log (container ${WORKER_CONTAINER}) ended before its last message`);
    if (why) yield { type: 'error', generator: index, message: `load worker ${name}: ${why}${samples === 0 ? '; no sample was read from it' : ''}` };
    yield { type: 'done', generator: index, at: Date.now() };
  }

  async dispose(): Promise<void> {
    await this.job.delete();
  }
}
