import type { KObject } from '../api/index.js';
import { newControllerRef } from './objects.js';

/** Where an Indexed Job's pod carries its index (annotation and label), and the env var its containers see. */
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** A Job's pod: its template, controlled by the Job; an Indexed Job's pod also gets its index. */
export function jobPodFromTemplate(job: KObject, index: number | undefined): KObject {
  const template = job.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  const spec = structuredClone(template.spec ?? {});
  if (index !== undefined) {
    labels[COMPLETION_INDEX_KEY] = String(index);
    annotations[COMPLETION_INDEX_KEY] = String(index);
    // As the real controller does: the index reaches the process through the downward API, not a literal.
    const env = { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } } };
    for (const field of ['containers', 'initContainers']) {
      for (const c of (spec[field] as any[] | undefined) ?? []) c.env = [...((c.env as any[] | undefined) ?? []).filter((e) => e.name !== COMPLETION_INDEX_ENV), env];
    }
    spec.hostname ??= `${job.metadata.name}-${index}`;
  }
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${job.metadata.name}-` : `${job.metadata.name}-${index}-`,
      namespace: job.metadata.namespace, labels, annotations,
      ...(meta.finalizers ? { finalizers: structuredClone(meta.finalizers) } : {}),
      ownerReferences: [newControllerRef(job)],
    },
    spec,
  };
}

/** The completion index a pod carries, or undefined when it has none (or a bad one). */
export function podIndex(pod: KObject, completions: number): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX_KEY];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n < completions ? n : undefined;
}

/** `0-2,4,6-7`: the format of status.completedIndexes. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The indexes of `0..completions-1` that are neither done nor running, lowest first. */
export function pendingIndexes(completions: number, done: Set<number>, running: Set<number>, limit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < limit; i++) if (!done.has(i) && !running.has(i)) out.push(i);
  return out;
}
