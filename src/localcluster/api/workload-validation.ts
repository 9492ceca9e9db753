/**
 * Validation of batch/v1 Jobs and autoscaling/v2 HorizontalPodAutoscalers with the real API server's field
 * paths and wording (`pkg/apis/batch/validation`, `pkg/apis/autoscaling/validation`).
 */
import { labelSelectorFromSpec, matchesLabels } from '../../kube/index.js';
import type { KObject, StatusCause } from './types.js';
import { invalid, notSupported, required, validatePodSpec } from './object-validation.js';

type Obj = Record<string, any>;

const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);
const isSet = (v: unknown): boolean => v !== undefined && v !== null;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((e) => asObj(e) ?? {}) : []);

function nonNegative(obj: Obj, field: string, path: string): StatusCause[] {
  const v = obj[field];
  return typeof v === 'number' && v < 0 ? [invalid(`${path}.${field}`, v, 'must be greater than or equal to 0')] : [];
}

function positive(obj: Obj, field: string, path: string): StatusCause[] {
  const v = obj[field];
  return isSet(v) && !(typeof v === 'number' && v > 0) ? [invalid(`${path}.${field}`, v, 'must be greater than zero')] : [];
}

/** ValidateJob plus ValidateJobUpdate's immutable fields. */
export function validateJob(job: KObject, old: KObject | undefined): StatusCause[] {
  const spec = asObj(job.spec) ?? {};
  const causes = ['parallelism', 'completions', 'backoffLimit'].flatMap((f) => nonNegative(spec, f, 'spec'));
  causes.push(...positive(spec, 'activeDeadlineSeconds', 'spec'), ...nonNegative(spec, 'ttlSecondsAfterFinished', 'spec'));
  if (!['NonIndexed', 'Indexed'].includes(spec.completionMode)) causes.push(notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
  if (spec.completionMode === 'Indexed' && !isSet(spec.completions)) causes.push(required('spec.completions', 'when completion mode is Indexed'));
  causes.push(...jobTemplate(spec));
  const oldSpec = asObj(old?.spec);
  if (oldSpec) {
    for (const field of ['selector', 'completionMode']) {
      if (JSON.stringify(spec[field]) !== JSON.stringify(oldSpec[field])) causes.push(invalid(`spec.${field}`, spec[field], 'field is immutable'));
    }
    if (spec.completionMode !== 'Indexed' && spec.completions !== oldSpec.completions) causes.push(invalid('spec.completions', spec.completions, 'field is immutable'));
    if (JSON.stringify(spec.template) !== JSON.stringify(oldSpec.template) && spec.suspend !== true) {
      causes.push(invalid('spec.template', '', 'field is immutable'));
    }
  }
  return causes;
}

function jobTemplate(spec: Obj): StatusCause[] {
  const causes: StatusCause[] = [];
  const template = asObj(spec.template);
  if (!template) return [required('spec.template')];
  if (!asObj(spec.selector)) causes.push(required('spec.selector'));
  else {
    try {
      const parsed = labelSelectorFromSpec(spec.selector);
      if (!matchesLabels(parsed, asObj(template.metadata?.labels))) {
        causes.push(invalid('spec.template.metadata.labels', template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
      }
    } catch {
      causes.push(invalid('spec.selector', spec.selector, 'invalid label selector'));
    }
  }
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const restartPolicy = asObj(template.spec)?.restartPolicy;
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['OnFailure', 'Never']));
  return causes;
}

/** ValidateHorizontalPodAutoscaler for what the embedded cluster supports: Resource metrics. */
export function validateHorizontalPodAutoscaler(hpa: KObject): StatusCause[] {
  const spec = asObj(hpa.spec) ?? {};
  const causes: StatusCause[] = [];
  const ref = asObj(spec.scaleTargetRef);
  if (!ref) causes.push(required('spec.scaleTargetRef'));
  else {
    if (!ref.kind) causes.push(required('spec.scaleTargetRef.kind'));
    if (!ref.name) causes.push(required('spec.scaleTargetRef.name'));
  }
  if (isSet(spec.minReplicas) && !(typeof spec.minReplicas === 'number' && spec.minReplicas >= 1)) {
    causes.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  }
  if (!(typeof spec.maxReplicas === 'number' && spec.maxReplicas >= 1)) causes.push(invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  else if (typeof spec.minReplicas === 'number' && spec.maxReplicas < spec.minReplicas) {
    causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  list(spec.metrics).forEach((m, i) => causes.push(...validateMetric(m, `spec.metrics[${i}]`)));
  for (const dir of ['scaleUp', 'scaleDown']) {
    list(asObj(asObj(spec.behavior)?.[dir])?.policies).forEach((p, i) => {
      const path = `spec.behavior.${dir}.policies[${i}]`;
      if (!['Pods', 'Percent'].includes(p.type)) causes.push(notSupported(`${path}.type`, p.type, ['Percent', 'Pods']));
      causes.push(...positive(p, 'value', path));
      if (!(typeof p.periodSeconds === 'number' && p.periodSeconds > 0 && p.periodSeconds <= 1800)) {
        causes.push(invalid(`${path}.periodSeconds`, p.periodSeconds ?? 0, 'must be greater than zero and less than or equal to 1800'));
      }
    });
  }
  return causes;
}

function validateMetric(m: Obj, path: string): StatusCause[] {
  const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
  if (!types.includes(m.type)) return [notSupported(`${path}.type`, m.type, types)];
  if (m.type !== 'Resource') return [];
  const resource = asObj(m.resource);
  if (!resource) return [required(`${path}.resource`, 'must populate information for the given metric source')];
  const causes = resource.name ? [] : [required(`${path}.resource.name`, 'must specify a resource name')];
  const target = asObj(resource.target) ?? {};
  if (target.type === 'Utilization') causes.push(...positive(target, 'averageUtilization', `${path}.resource.target`));
  else if (target.type !== 'AverageValue') causes.push(notSupported(`${path}.resource.target.type`, target.type, ['AverageValue', 'Utilization']));
  return causes;
}
