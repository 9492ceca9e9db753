import type { KObject } from '../api/index.js';
import { rfc3339 } from '../store/index.js';
import { podIndex } from './job-pods.js';
import { isPodReady, isPodTerminal } from './objects.js';

/** What a Job's pods add up to at one sync. */
export interface JobTally {
  /** Running or pending pods not being deleted: the ones `parallelism` counts. */
  active: KObject[];
  /** Not terminal yet (active ones plus those being deleted): a finished Job waits for them. */
  unfinished: number;
  succeeded: number;
  failed: number;
  ready: number;
  /** Container restarts of active pods: with restartPolicy OnFailure they are the failures. */
  restarts: number;
  succeededIndexes: Set<number>;
}

/** Parses `0-2,4` back into indexes (below `completions`). */
export function parseIndexes(text: unknown, completions: number): Set<number> {
  const out = new Set<number>();
  if (typeof text !== 'string') return out;
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let i = from; i <= (to ?? from) && i < completions; i++) out.add(i);
  }
  return out;
}

/**
 * Counts the Job's pods. The real controller tracks finished pods with a finalizer so a deleted pod still
 * counts; here the counts never go below what status already says, which covers pods removed after counting.
 */
export function tallyJobPods(job: KObject, pods: KObject[]): JobTally {
  const completions = Number(job.spec?.completions ?? 0);
  const indexed = job.spec?.completionMode === 'Indexed';
  const succeededIndexes = indexed ? parseIndexes(job.status?.completedIndexes, completions) : new Set<number>();
  const tally: JobTally = { active: [], unfinished: 0, succeeded: 0, failed: 0, ready: 0, restarts: 0, succeededIndexes };
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') {
      tally.succeeded++;
      const index = indexed ? podIndex(pod, completions) : undefined;
      if (index !== undefined) succeededIndexes.add(index);
    } else if (phase === 'Failed') {
      tally.failed++;
    }
    if (isPodTerminal(pod)) continue;
    tally.unfinished++;
    if (pod.metadata.deletionTimestamp) continue;
    tally.active.push(pod);
    if (isPodReady(pod)) tally.ready++;
    for (const cs of (pod.status?.containerStatuses as any[] | undefined) ?? []) tally.restarts += Number(cs.restartCount ?? 0);
  }
  tally.failed = Math.max(tally.failed, Number(job.status?.failed ?? 0));
  tally.succeeded = indexed ? succeededIndexes.size : Math.max(tally.succeeded, Number(job.status?.succeeded ?? 0));
  return tally;
}

export interface JobVerdict {
  /** `Complete` or `Failed`; the interim condition is SuccessCriteriaMet or FailureTarget. */
  type: 'Complete' | 'Failed';
  reason: string;
  message: string;
}

/** Whether the Job is done, as syncJob decides it: deadline, backoff limit, then completions. */
export function jobVerdict(job: KObject, tally: JobTally, nowMs: number): JobVerdict | undefined {
  const spec = job.spec ?? {};
  const started = Date.parse(job.status?.startTime ?? '');
  if (typeof spec.activeDeadlineSeconds === 'number' && !Number.isNaN(started) && nowMs - started >= spec.activeDeadlineSeconds * 1000) {
    return { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  }
  const retries = tally.failed + (spec.template?.spec?.restartPolicy === 'OnFailure' ? tally.restarts : 0);
  if (retries > Number(spec.backoffLimit ?? 6)) {
    return { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  }
  const completions = spec.completions as number | undefined | null;
  const done = completions === undefined || completions === null
    ? tally.succeeded > 0 && tally.active.length === 0
    : tally.succeeded >= completions;
  return done ? { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' } : undefined;
}

/** Sets (or keeps) a True condition the way the controller does, with probe and transition times. */
export function withCondition(conditions: any[], type: string, reason: string, message: string, nowMs: number): any[] {
  const existing = conditions.find((c) => c.type === type);
  if (existing?.status === 'True') return conditions;
  const stamp = rfc3339(nowMs);
  return [...conditions.filter((c) => c.type !== type), { type, status: 'True', reason, message, lastProbeTime: stamp, lastTransitionTime: stamp }];
}

export function isJobFinished(job: KObject): boolean {
  return ((job.status?.conditions as any[] | undefined) ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** When a finished Job finished (ms): its completion time, or when it failed. */
export function jobFinishedAtMs(job: KObject): number | undefined {
  const failed = ((job.status?.conditions as any[] | undefined) ?? []).find((c) => c.type === 'Failed' && c.status === 'True');
  const t = Date.parse(job.status?.completionTime ?? failed?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}
