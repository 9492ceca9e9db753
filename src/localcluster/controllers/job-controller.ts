import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../api/index.js';
import { rfc3339, type Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { EventRecorder } from './event-recorder.js';
import { PodControl } from './pod-control.js';
import { formatIndexes, jobPodFromTemplate, pendingIndexes, podIndex } from './job-pods.js';
import {
  isJobFinished, jobFinishedAtMs, jobVerdict, tallyJobPods, withCondition, type JobTally, type JobVerdict,
} from './job-status.js';
import { controllerRef, keyOf, splitKey } from './objects.js';
import { QueueController } from './queue-controller.js';

const JOBS = 'batch/jobs';
/** DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff of the real controller. */
export const DEFAULT_JOB_BACKOFF_MS = 10_000;
const MAX_JOB_BACKOFF_MS = 360_000;

export interface JobControllerOptions extends ControllerOptions {
  /** Delay before the first replacement of a failed pod, doubling per failure up to 6 min (default 10 s). */
  podFailureBackoffMs?: number;
}

/**
 * The batch/v1 Job controller: runs `parallelism` pods at a time until `completions` succeed (Indexed: one
 * per index, the index in the pod's annotation, label and JOB_COMPLETION_INDEX), fails the Job past
 * `backoffLimit` failures or `activeDeadlineSeconds`, and deletes finished Jobs after `ttlSecondsAfterFinished`.
 * Not modelled: suspend (a suspended Job only stops creating pods), podFailurePolicy, successPolicy, pod finalizers.
 */
export class JobController extends QueueController {
  private readonly events: EventRecorder;
  private readonly pods: PodControl;
  private readonly backoffMs: number;
  /** Per Job uid: the failure count last seen and when it grew, for the replacement back-off. */
  private readonly lastFailure = new Map<string, { failed: number; atMs: number }>();

  constructor(store: Store, opts: JobControllerOptions = {}) {
    super(store, 'job', opts);
    this.events = new EventRecorder(store, { component: 'job-controller' });
    this.pods = new PodControl(store, this.events);
    this.backoffMs = opts.podFailureBackoffMs ?? DEFAULT_JOB_BACKOFF_MS;
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch(JOBS, undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      this.store.watch('pods', undefined, {}, (e) => {
        const ref = controllerRef(e.object);
        if (ref?.kind === 'Job') this.queue.add(`${e.object.metadata.namespace}/${ref.name}`);
      }),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot(JOBS).map(keyOf);
  }

  /** Reconciles one Job; public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const job = this.store.peek(JOBS, namespace, name);
    if (!job) return;
    if (isJobFinished(job)) {
      this.expire(job);
      return;
    }
    if (job.metadata.deletionTimestamp) return;
    const pods = this.store.snapshot('pods', namespace, (p) => controllerRef(p)?.uid === job.metadata.uid);
    const nowMs = this.store.now();
    const startTime = job.status?.startTime ?? (job.spec?.suspend ? undefined : rfc3339(nowMs));
    const started = startTime === job.status?.startTime ? job : { ...job, status: { ...(job.status ?? {}), startTime } };
    let tally = tallyJobPods(started, pods);
    const verdict = jobVerdict(started, tally, nowMs);
    if (verdict) {
      for (const pod of tally.active) this.pods.delete(job, pod);
    } else if (this.managePods(started, tally, nowMs)) {
      tally = tallyJobPods(started, this.store.snapshot('pods', namespace, (p) => controllerRef(p)?.uid === job.metadata.uid));
    }
    this.writeStatus(started, tally, verdict, nowMs);
    this.scheduleDeadline(started, nowMs);
  }

  /** Creates or deletes pods towards the active count; true when it changed anything. */
  private managePods(job: KObject, tally: JobTally, nowMs: number): boolean {
    if (job.spec?.suspend) {
      for (const pod of tally.active) this.pods.delete(job, pod);
      return tally.active.length > 0;
    }
    const parallelism = Number(job.spec?.parallelism ?? 1);
    const completions = job.spec?.completions as number | null | undefined;
    let want = completions === undefined || completions === null
      ? (tally.succeeded > 0 ? 0 : parallelism)
      : Math.min(parallelism, completions - tally.succeeded);
    want = Math.max(0, want);
    if (tally.active.length > want) {
      const newestFirst = [...tally.active].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
      for (const pod of newestFirst.slice(0, tally.active.length - want)) this.pods.delete(job, pod);
      return true;
    }
    if (tally.active.length === want) return false;
    const waitMs = this.backoffRemainingMs(job, tally.failed, nowMs);
    if (waitMs > 0) {
      this.queue.addAfter(keyOf(job), waitMs);
      return false;
    }
    const missing = want - tally.active.length;
    if (job.spec?.completionMode !== 'Indexed') {
      for (let i = 0; i < missing; i++) this.pods.create(job, jobPodFromTemplate(job, undefined));
      return true;
    }
    const running = new Set(tally.active.map((p) => podIndex(p, completions ?? 0)).filter((i): i is number => i !== undefined));
    const indexes = pendingIndexes(completions ?? 0, tally.succeededIndexes, running, missing);
    for (const index of indexes) this.pods.create(job, jobPodFromTemplate(job, index));
    return indexes.length > 0;
  }

  /** How long replacements of failed pods still wait: 10 s, 20 s, 40 s, ... after the latest failure. */
  private backoffRemainingMs(job: KObject, failed: number, nowMs: number): number {
    const uid = job.metadata.uid!;
    if (failed === 0) return 0;
    let seen = this.lastFailure.get(uid);
    if (!seen || seen.failed < failed) {
      seen = { failed, atMs: nowMs };
      this.lastFailure.set(uid, seen);
    }
    const delay = Math.min(this.backoffMs * 2 ** (failed - 1), MAX_JOB_BACKOFF_MS);
    return seen.atMs + delay - nowMs;
  }



  private writeStatus(job: KObject, tally: JobTally, verdict: JobVerdict | undefined, nowMs: number): void {
    const old = job.status ?? {};
    let conditions: any[] = (old.conditions as any[] | undefined) ?? [];
    const finished = verdict !== undefined && tally.unfinished === 0;
    if (verdict) {
      // 1.31+: the interim condition first; Complete/Failed only once no pod of the Job is still running.
      const interim = verdict.type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
      conditions = withCondition(conditions, interim, verdict.reason, verdict.message, nowMs);
      if (finished) conditions = withCondition(conditions, verdict.type, verdict.reason, verdict.message, nowMs);
    }
    const status: Record<string, unknown> = {
      ...(conditions.length > 0 ? { conditions } : {}),
      ...(old.startTime ? { startTime: old.startTime } : {}),
      ...(finished && verdict.type === 'Complete' ? { completionTime: rfc3339(nowMs) } : {}),
      ...(tally.active.length > 0 ? { active: tally.active.length } : {}),
      ...(tally.succeeded > 0 ? { succeeded: tally.succeeded } : {}),
      ...(tally.failed > 0 ? { failed: tally.failed } : {}),
      ...(job.spec?.completionMode === 'Indexed' && tally.succeededIndexes.size > 0 ? { completedIndexes: formatIndexes(tally.succeededIndexes) } : {}),
      ready: tally.ready, terminating: tally.unfinished - tally.active.length, uncountedTerminatedPods: {},
    };
    const updated = this.store.mutate(JOBS, job.metadata.namespace, job.metadata.name!, (draft) => {
      if (isDeepStrictEqual(draft.status, status)) return false;
      draft.status = status;
    }, { subresource: 'status' });
    if (updated && finished) this.recordFinish(updated, verdict);
  }

  private recordFinish(job: KObject, verdict: JobVerdict): void {
    this.lastFailure.delete(job.metadata.uid!);
    if (verdict.type === 'Complete') this.events.record(job, { type: 'Normal', reason: 'Completed', message: 'Job completed' });
    else this.events.record(job, { type: 'Warning', reason: verdict.reason, message: verdict.message });
    this.expire(job);
  }

  /** activeDeadlineSeconds passes with time alone: come back when it does. */
  private scheduleDeadline(job: KObject, nowMs: number): void {
    const started = Date.parse(job.status?.startTime ?? '');
    const deadline = job.spec?.activeDeadlineSeconds;
    if (typeof deadline !== 'number' || Number.isNaN(started)) return;
    this.queue.addAfter(keyOf(job), Math.max(0, started + deadline * 1000 - nowMs) + 1);
  }

  /** ttlSecondsAfterFinished: the TTL-after-finished controller's part, deleting the Job and (in the background) its pods. */
  private expire(job: KObject): void {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    const finishedAt = jobFinishedAtMs(job);
    if (typeof ttl !== 'number' || finishedAt === undefined || job.metadata.deletionTimestamp) return;
    const inMs = finishedAt + ttl * 1000 - this.store.now();
    if (inMs > 0) {
      this.queue.addAfter(keyOf(job), inMs + 1);
      return;
    }
    try {
      this.store.delete(JOBS, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid! } });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
