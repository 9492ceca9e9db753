import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { EnvironmentError, errorMessage } from '../core/errors.js';
import { dependencyVersion } from '../core/version.js';
import type { KubeClients } from '../kube/index.js';
import type { GeneratorMessage, LoadEngine, PrepareContext, PreparedLoad, ResolvedLoad } from '../load/index.js';
import { parseWorkerLine, type WorkerConfig } from '../load/worker.js';
import type { DistributedSpec } from '../plan/types.js';
import { defaultWorkerImage, renderWorkerJob, WORKER_JOB_LABEL, workerJobName } from './job-manifest.js';

/** Time the workers get to be scheduled and booted before second 0. */
export const WORKER_START_LEAD_MS = 5000;
const POLL_MS = 500;
const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/**
 * `distributed: {generators: N, on: cluster}`: the load runs in N `crt worker` pods of an
 * Indexed Job in the run's cluster, all with second 0 at the same wall-clock instant. Their
 * per-second samples (with whole HDR histograms) are read from the pods' logs while they run
 * and handed to the runner as generators 0..N-1, which merges them exactly like autocannon's
 * threads. The Job is deleted at the end, on abort too.
 */
export class DistributedJobEngine implements LoadEngine {
  readonly name = 'autocannon';

  constructor(private readonly kube: KubeClients, private readonly d: DistributedSpec, private readonly runId: string) {}

  async version(): Promise<string> {
    return dependencyVersion('autocannon');
  }

  async prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    const name = workerJobName(ctx.caseId ?? 'case');
    const namespace = this.d.namespace;
    const startAtMs = Date.now() + WORKER_START_LEAD_MS;
    const config: WorkerConfig = { url: load.url, headers: load.headers, spec: load.spec, startAtMs, maxStageMs: ctx.maxStageMs };
    const deadlineSec = Math.ceil((WORKER_START_LEAD_MS + ctx.maxStageMs * load.spec.stages.length + load.spec.timeoutMs) / 1000) + 60;
    const body = renderWorkerJob({ name, namespace, image: this.d.image ?? defaultWorkerImage(), generators: this.d.generators, runId: this.runId, caseId: ctx.caseId ?? 'case', config, deadlineSec });
    const job = new WorkerJob(this.kube, name, namespace, this.d.generators);
    try {
      await this.kube.batch.createNamespacedJob({ namespace, body });
    } catch (err) {
      throw new EnvironmentError(`cannot create the load workers' Job ${namespace}/${name}: ${errorMessage(err)}`, { hint: 'crt needs RBAC to create Jobs and read pod logs in that namespace (the role crt-distributed-load of deploy/k8s/rbac.yaml)', cause: err });
    }
    ctx.log.info({ job: name, namespace, generators: this.d.generators }, 'distributed load: workers created');
    try {
      await job.waitRunning(startAtMs - 500);
    } catch (err) {
      await job.delete();
      throw err;
    }
    const wait = startAtMs - Date.now();
    if (wait > 0) await delay(wait);
    return new PreparedJob(job);
  }
}

class WorkerJob {
  constructor(readonly kube: KubeClients, readonly name: string, readonly namespace: string, readonly generators: number) {}

  async pods(): Promise<V1Pod[]> {
    return (await this.kube.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${WORKER_JOB_LABEL}=${this.name}` })).items;
  }

  /** Resolves when every worker pod runs; throws, saying which are not, at `deadlineMs`. */
  async waitRunning(deadlineMs: number): Promise<void> {
    for (;;) {
      const pods = await this.pods();
      const running = pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Succeeded');
      if (running.length >= this.generators) return;
      if (Date.now() >= deadlineMs) {
        const states = pods.map((p) => `${p.metadata?.name}: ${p.status?.phase ?? 'unknown'}${p.status?.containerStatuses?.[0]?.state?.waiting?.message ? ` (${p.status.containerStatuses[0].state.waiting.message})` : ''}`);
        throw new EnvironmentError(`only ${running.length} of ${this.generators} load workers run after ${WORKER_START_LEAD_MS} ms (${states.join('; ') || 'no pods'})`, {
          hint: 'check the workers\' image (distributed.image, built from deploy/k8s/Dockerfile) and that the cluster has room for them',
        });
      }
      await delay(200);
    }
  }

  async log(pod: string): Promise<string> {
    try {
      return await this.kube.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container: 'worker' });
    } catch {
      return ''; // not started yet
    }
  }

  /** Deletes the Job and its pods; never throws (it runs in finally). */
  async delete(): Promise<void> {
    await this.kube.batch.deleteNamespacedJob({ name: this.name, namespace: this.namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    await this.kube.core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector: `${WORKER_JOB_LABEL}=${this.name}` }).catch(() => undefined);
  }
}

class PreparedJob implements PreparedLoad {
  constructor(private readonly job: WorkerJob) {}

  async *start(originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const consumed = new Map<string, number>();
    const done = new Set<number>();
    const n = this.job.generators;
    try {
      while (done.size < n) {
        const aborted = signal.aborted;
        for (const pod of await this.job.pods()) {
          const index = Number(pod.metadata?.annotations?.[INDEX_ANNOTATION] ?? pod.metadata?.labels?.[INDEX_ANNOTATION]);
          const name = pod.metadata?.name ?? '';
          if (!Number.isInteger(index) || done.has(index)) continue;
          const phase = pod.status?.phase;
          const ended = phase === 'Succeeded' || phase === 'Failed';
          const lines = (await this.job.log(name)).split('\n');
          // the last line may still be written unless the worker has ended
          const upTo = ended ? lines.length : lines.length - 1;
          for (const line of lines.slice(consumed.get(name) ?? 0, upTo)) {
            const m = parseWorkerLine(line, index);
            if (!m) continue;
            if (m.type === 'samples') m.samples = m.samples.map((s) => ({ ...s, t: originMs + s.sec * 1000 }));
            if (m.type === 'done') done.add(index);
            yield m;
          }
          consumed.set(name, upTo);
          if (ended && !done.has(index)) {
            done.add(index);
            if (phase === 'Failed') yield { type: 'error', generator: index, message: `load worker ${name} failed: ${pod.status?.containerStatuses?.[0]?.state?.terminated?.message ?? pod.status?.reason ?? 'see its log'}` };
            yield { type: 'done', generator: index, at: Date.now() };
          }
        }
        if (aborted) break;
        await delay(POLL_MS, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await this.job.delete();
    }
    // aborted: the workers are gone with the Job; what they had written is in
    for (let g = 0; g < n; g++) if (!done.has(g)) yield { type: 'done', generator: g, at: Date.now() };
  }

  async dispose(): Promise<void> {
    await this.job.delete();
  }
}
