/**
 * `kubectl get jobs` and `kubectl get hpa` columns and cells as the server-side printers build them
 * (`printJob`, `printHorizontalPodAutoscaler` in `pkg/printers/internalversion`).
 */
import { formatLabelSelector } from '../../kube/index.js';
import { age, humanDuration } from './table-time.js';
import type { TableColumn } from './types.js';

type Obj = Record<string, any>;

const col = (name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn => ({ name, type, format, description, priority });
const nameCol = col('Name', 'string', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', 0, 'name');
const ageCol = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata');

const jobColumns: TableColumn[] = [nameCol,
  col('Status', 'string', 'Status of the job.'),
  col('Completions', 'string', 'The completion status of the job.'),
  col('Duration', 'string', 'Time required to complete the job.'), ageCol,
  col('Containers', 'string', 'Names of each container in the template.', 1),
  col('Images', 'string', 'Images referenced by each container in the template.', 1),
  col('Selector', 'string', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', 1)];

const hpaColumns: TableColumn[] = [nameCol,
  col('Reference', 'string', 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.'),
  col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
  col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
  col('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
  col('Replicas', 'integer', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
  ageCol];

const conditions = (status: Obj | undefined): Obj[] => (Array.isArray(status?.conditions) ? status.conditions : []);
const hasCondition = (status: Obj | undefined, type: string): boolean => conditions(status).some((c) => c.type === type && c.status === 'True');

function jobStatus(job: Obj): string {
  if (hasCondition(job.status, 'Complete')) return 'Complete';
  if (hasCondition(job.status, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job.status, 'Suspended')) return 'Suspended';
  if (hasCondition(job.status, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job.status, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(job: Obj): string {
  const succeeded = Number(job.status?.succeeded ?? 0);
  if (job.spec?.completions !== undefined && job.spec?.completions !== null) return `${succeeded}/${job.spec.completions}`;
  const parallelism = Number(job.spec?.parallelism ?? 0);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobCells(job: Obj, nowMs: number): unknown[] {
  const start = Date.parse(job.status?.startTime ?? '');
  const end = Date.parse(job.status?.completionTime ?? '');
  const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? nowMs : end) - start);
  const containers: Obj[] = Array.isArray(job.spec?.template?.spec?.containers) ? job.spec.template.spec.containers : [];
  return [job.metadata?.name, jobStatus(job), jobCompletions(job), duration, age(job.metadata?.creationTimestamp, nowMs),
    containers.map((c) => c.name ?? '').join(','), containers.map((c) => c.image ?? '').join(','), formatLabelSelector(job.spec?.selector)];
}

/** formatHPAMetrics: `cpu: 45%/50%`, at most two metrics then ` + N more...`. */
function hpaTargets(hpa: Obj): string {
  const specs: Obj[] = Array.isArray(hpa.spec?.metrics) ? hpa.spec.metrics : [];
  if (specs.length === 0) return '<none>';
  const current: Obj[] = Array.isArray(hpa.status?.currentMetrics) ? hpa.status.currentMetrics : [];
  const shown = specs.slice(0, 2).map((m, i) => {
    if (m.type !== 'Resource' || !m.resource) return `<unknown>/<unknown> (${String(m.type)})`;
    const target = m.resource.target ?? {};
    const now = current[i]?.resource?.current;
    if (target.averageValue !== undefined) return `${m.resource.name}: ${now?.averageValue ?? '<unknown>'}/${target.averageValue}`;
    const value = now?.averageUtilization !== undefined ? `${now.averageUtilization}%` : '<unknown>';
    return `${m.resource.name}: ${value}/${target.averageUtilization !== undefined ? `${target.averageUtilization}%` : '<auto>'}`;
  });
  return specs.length > 2 ? `${shown.join(', ')} + ${specs.length - 2} more...` : shown.join(', ');
}

function hpaCells(hpa: Obj, nowMs: number): unknown[] {
  const ref = hpa.spec?.scaleTargetRef ?? {};
  const min = hpa.spec?.minReplicas;
  return [hpa.metadata?.name, `${ref.kind ?? ''}/${ref.name ?? ''}`, hpaTargets(hpa), min === undefined || min === null ? '<unset>' : String(min),
    hpa.spec?.maxReplicas ?? 0, hpa.status?.currentReplicas ?? 0, age(hpa.metadata?.creationTimestamp, nowMs)];
}

/** The Job and HPA printers; tables.ts reads them when it builds a Table (not at load: the modules import each other). */
export const workloadTables: Record<string, { columns: TableColumn[]; cells: (obj: Obj, nowMs: number) => unknown[] }> = {
  'batch/jobs': { columns: jobColumns, cells: jobCells },
  'autoscaling/horizontalpodautoscalers': { columns: hpaColumns, cells: hpaCells },
};
