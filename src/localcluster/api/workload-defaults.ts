/**
 * Defaults for batch/v1 Jobs and autoscaling/v2 HorizontalPodAutoscalers (`pkg/apis/batch/v1/defaults.go`,
 * `pkg/apis/autoscaling/v2/defaults.go`, and the Job registry strategy's generated selector).
 */
import { defaultPodSpec } from './pod-defaults.js';
import type { KObject } from './types.js';

type Obj = Record<string, any>;

const unset = (v: unknown): boolean => v === undefined || v === null;
function fill<T>(obj: Obj, key: string, value: T): T {
  if (unset(obj[key]) || obj[key] === '') obj[key] = value;
  return obj[key] as T;
}

/** The labels the Job strategy puts on a Job's pod template when it generates the selector. */
export const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

export function defaultJob(job: KObject): void {
  const spec = fill<Obj>(job, 'spec', {});
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  fill(spec, 'parallelism', 1);
  fill(spec, 'backoffLimit', 6);
  fill(spec, 'completionMode', 'NonIndexed');
  fill(spec, 'suspend', false);
  fill(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  fill(spec, 'manualSelector', false);
  const template = fill<Obj>(spec, 'template', {});
  defaultPodSpec(fill<Obj>(template, 'spec', {}));
  // Generated selector (manualSelector false): the uid makes the selector unique to this Job.
  if (spec.manualSelector !== true && job.metadata.uid && unset(spec.selector)) {
    const uid = job.metadata.uid;
    spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
    const labels = fill<Obj>(fill<Obj>(template, 'metadata', {}), 'labels', {});
    Object.assign(labels, { [JOB_UID_LABEL]: uid, [JOB_NAME_LABEL]: job.metadata.name, 'controller-uid': uid, 'job-name': job.metadata.name });
  }
}

export const DEFAULT_SCALE_UP = {
  stabilizationWindowSeconds: 0, selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
};
// The scale-down window stays unset: the controller's downscale-stabilization setting (300 s) applies then.
export const DEFAULT_SCALE_DOWN = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

/** SetDefaults_HorizontalPodAutoscaler: minReplicas 1, one cpu 80 % metric; a given behaviour is completed. */
export function defaultHorizontalPodAutoscaler(hpa: KObject): void {
  const spec = fill<Obj>(hpa, 'spec', {});
  fill(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  const behavior = spec.behavior as Obj | undefined;
  if (!behavior || typeof behavior !== 'object') return;
  defaultRules(fill<Obj>(behavior, 'scaleUp', {}), DEFAULT_SCALE_UP);
  defaultRules(fill<Obj>(behavior, 'scaleDown', {}), DEFAULT_SCALE_DOWN);
}

function defaultRules(rules: Obj, defaults: Obj): void {
  if (defaults.stabilizationWindowSeconds !== undefined) fill(rules, 'stabilizationWindowSeconds', defaults.stabilizationWindowSeconds);
  fill(rules, 'selectPolicy', defaults.selectPolicy);
  if (!Array.isArray(rules.policies) || rules.policies.length === 0) rules.policies = structuredClone(defaults.policies);
}
