/**
 * Object validation with the real API server's field paths and wording (`pkg/apis/core/validation`,
 * `pkg/apis/apps/validation`, `apimachinery/pkg/util/validation/field`), so kubectl prints the errors users
 * already know, e.g. `Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: ...`.
 * Validation runs on defaulted objects; it never mutates them. This file holds the field causes and the
 * core and apps objects; validation.ts dispatches by resource, the other API groups have files of their own.
 */
import {
  dns1123SubdomainErrors, labelSelectorFromSpec, labelValueErrors, matchesLabels, maxLenError,
  qualifiedNameErrors, regexError, type LabelSelector,
} from '../../kube/index.js';
import type { KObject, StatusCause } from './types.js';

type Obj = Record<string, any>;
/** A value already rendered the way Go's `%#v` would print it. */
interface GoValue { go: string }

export const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((e) => asObj(e) ?? {}) : []);
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** How field.Error prints a bad value: strings quoted, numbers and booleans bare. */
function show(value: unknown): string {
  if (asObj(value) && typeof (value as GoValue).go === 'string') return (value as GoValue).go;
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const cause = (reason: StatusCause['reason'], field: string, message: string): StatusCause => ({ reason, message, field });
const withDetail = (head: string, detail?: string): string => (detail ? `${head}: ${detail}` : head);
export const required = (field: string, detail?: string): StatusCause => cause('FieldValueRequired', field, withDetail('Required value', detail));
export const invalid = (field: string, value: unknown, detail: string): StatusCause => cause('FieldValueInvalid', field, `Invalid value: ${show(value)}: ${detail}`);
export const duplicate = (field: string, value: unknown): StatusCause => cause('FieldValueDuplicate', field, `Duplicate value: ${show(value)}`);
export const forbidden = (field: string, detail: string): StatusCause => cause('FieldValueForbidden', field, `Forbidden: ${detail}`);
export function notSupported(field: string, value: unknown, valid: string[]): StatusCause {
  return cause('FieldValueNotSupported', field, `Unsupported value: ${show(value)}: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`);
}

const goMap = (m: unknown): GoValue => {
  const map = asObj(m);
  if (!map) return { go: 'map[string]string(nil)' };
  return { go: `map[string]string{${Object.keys(map).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`).join(', ')}}` };
};

function goLabelSelector(sel: unknown): GoValue {
  const s = asObj(sel) ?? {};
  const exprs = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${list(s.matchExpressions).map((e) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:${Array.isArray(e.values) ? `[]string{${(e.values as string[]).map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'}}`).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return { go: `v1.LabelSelector{MatchLabels:${goMap(s.matchLabels).go}, MatchExpressions:${exprs}}` };
}

// ---- name formats ----

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';

export function dns1123LabelErrors(value: string): string[] {
  const errs = value.length > 63 ? [maxLenError(63)] : [];
  if (!new RegExp(`^${dns1123LabelFmt}$`).test(value)) {
    // A valid subdomain that is not a valid label can only differ by its dots.
    errs.push(dns1123SubdomainErrors(value).length === 0 ? 'must not contain dots'
      : regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

function dns1035LabelErrors(value: string): string[] {
  const errs = value.length > 63 ? [maxLenError(63)] : [];
  if (!new RegExp(`^${dns1035LabelFmt}$`).test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, 'my-name', 'abc-123'));
  }
  return errs;
}

function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const portNumErrors = (port: unknown): string[] => (Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535 ? [] : ['must be between 1 and 65535, inclusive']);

function configMapKeyErrors(key: string): string[] {
  const errs = key.length > 253 ? [maxLenError(253)] : [];
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) errs.push(regexError("must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name'));
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

const nameRules: Record<string, (name: string) => string[]> = { namespaces: dns1123LabelErrors, services: dns1035LabelErrors };

// ---- metadata ----

function validateLabels(labels: unknown, field: string): StatusCause[] {
  return Object.entries(asObj(labels) ?? {}).flatMap(([k, v]) => [
    ...qualifiedNameErrors(k).map((m) => invalid(field, k, m)),
    ...labelValueErrors(String(v)).map((m) => invalid(field, v, m)),
  ]);
}

const validateAnnotations = (annotations: unknown, field: string): StatusCause[] =>
  Object.keys(asObj(annotations) ?? {}).flatMap((k) => qualifiedNameErrors(k.toLowerCase()).map((m) => invalid(field, k, m)));

export function validateMetadata(resourceKey: string, meta: Obj): StatusCause[] {
  const nameErrors = nameRules[resourceKey] ?? dns1123SubdomainErrors;
  const causes: StatusCause[] = [];
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName) {
    // A generated name gets a random suffix, so its prefix may end in a dash.
    const prefix = generateName.length > 1 && generateName.endsWith('-') ? generateName.slice(0, -1) : generateName;
    causes.push(...nameErrors(prefix).map((m) => invalid('metadata.generateName', generateName, m)));
  }
  if (!meta.name) {
    if (!generateName) causes.push(required('metadata.name', 'name or generateName is required'));
  } else {
    causes.push(...nameErrors(String(meta.name)).map((m) => invalid('metadata.name', meta.name, m)));
  }
  causes.push(...validateLabels(meta.labels, 'metadata.labels'), ...validateAnnotations(meta.annotations, 'metadata.annotations'));
  return causes;
}

// ---- pods ----

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];

function validateEnum(field: string, value: unknown, valid: string[]): StatusCause[] {
  if (value === undefined || valid.includes(value as string)) return [];
  return [value === '' ? required(field) : notSupported(field, value, valid)];
}

function validatePorts(ports: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  list(ports).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      causes.push(...portNameErrors(String(port.name)).map((m) => invalid(`${p}.name`, port.name, m)));
      if (names.has(port.name)) causes.push(duplicate(`${p}.name`, port.name));
      names.add(port.name);
    }
    if (!port.containerPort) causes.push(required(`${p}.containerPort`));
    else causes.push(...portNumErrors(port.containerPort).map((m) => invalid(`${p}.containerPort`, port.containerPort, m)));
    if (port.hostPort) causes.push(...portNumErrors(port.hostPort).map((m) => invalid(`${p}.hostPort`, port.hostPort, m)));
    causes.push(...validateEnum(`${p}.protocol`, port.protocol, protocols));
  });
  return causes;
}

const handlerTypes = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const probeCounts = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'];

function validateProbe(probe: Obj, path: string, mustSucceedOnce: boolean): StatusCause[] {
  const handlers = handlerTypes.filter((h) => isSet(probe[h]));
  const causes: StatusCause[] = handlers.slice(1).map((h) => forbidden(`${path}.${h}`, 'may not specify more than 1 handler type'));
  if (handlers.length === 0) causes.push(required(path, 'must specify a handler type'));
  for (const f of probeCounts) {
    if (typeof probe[f] === 'number' && probe[f] < 0) causes.push(invalid(`${path}.${f}`, probe[f], 'must be greater than or equal to 0'));
  }
  if (mustSucceedOnce && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    causes.push(invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  const port = asObj(probe.httpGet)?.port ?? asObj(probe.tcpSocket)?.port;
  const portPath = `${path}.${isSet(probe.httpGet) ? 'httpGet' : 'tcpSocket'}.port`;
  if (typeof port === 'number') causes.push(...portNumErrors(port).map((m) => invalid(portPath, port, m)));
  if (typeof port === 'string') causes.push(...portNameErrors(port).map((m) => invalid(portPath, port, m)));
  return causes;
}

function validateContainer(c: Obj, path: string, names: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(required(`${path}.name`));
  else {
    causes.push(...dns1123LabelErrors(String(c.name)).map((m) => invalid(`${path}.name`, c.name, m)));
    if (names.has(c.name)) causes.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
  }
  if (!c.image) causes.push(required(`${path}.image`));
  else if (String(c.image).trim() !== c.image) causes.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  causes.push(...validateEnum(`${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
  causes.push(...validatePorts(c.ports, `${path}.ports`));
  list(c.env).forEach((e, i) => { if (!e.name) causes.push(required(`${path}.env[${i}].name`)); });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = asObj(c[probe]);
    if (p) causes.push(...validateProbe(p, `${path}.${probe}`, probe !== 'readinessProbe'));
  }
  return causes;
}

export function validatePodSpec(spec: unknown, path: string): StatusCause[] {
  const s = asObj(spec);
  if (!s) return [required(path)];
  const names = new Set<string>();
  const causes = list(s.containers).length === 0 ? [required(`${path}.containers`)] : [];
  for (const field of ['containers', 'initContainers']) {
    list(s[field]).forEach((c, i) => causes.push(...validateContainer(c, `${path}.${field}[${i}]`, names)));
  }
  causes.push(...validateEnum(`${path}.restartPolicy`, s.restartPolicy, restartPolicies));
  causes.push(...validateEnum(`${path}.dnsPolicy`, s.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  if (typeof s.activeDeadlineSeconds === 'number' && s.activeDeadlineSeconds <= 0) {
    causes.push(invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  return causes;
}

const updatablePodFields = [
  '`spec.containers[*].image`', '`spec.initContainers[*].image`', '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** JSON with sorted keys, so two specs compare equal regardless of key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = asObj(v);
  if (!o) return JSON.stringify(v) ?? 'null';
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** The changed paths, `- old` / `+ new`, standing in for the cmp.Diff the real message carries. */
function specDiff(before: unknown, after: unknown, path: string): string[] {
  if (canonical(before) === canonical(after)) return [];
  const [b, a] = [asObj(before), asObj(after)];
  if (b && a) return [...new Set([...Object.keys(b), ...Object.keys(a)])].sort().flatMap((k) => specDiff(b[k], a[k], `${path}.${k}`));
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((e, i) => specDiff(e, after[i], `${path}[${i}]`));
  }
  return [`- ${path}: ${canonical(before)}`, `+ ${path}: ${canonical(after)}`];
}

export function validatePodUpdate(pod: KObject, old: KObject): StatusCause[] {
  const [spec, oldSpec] = [asObj(pod.spec) ?? {}, asObj(old.spec) ?? {}];
  const causes: StatusCause[] = [];
  const munged: Obj = structuredClone(spec);
  for (const field of ['containers', 'initContainers']) {
    const [now, before] = [list(munged[field]), list(oldSpec[field])];
    if (now.length === before.length) now.forEach((c, i) => { c.image = before[i]!.image; });
  }
  if (isSet(oldSpec.activeDeadlineSeconds)) {
    if (!isSet(spec.activeDeadlineSeconds)) causes.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (spec.activeDeadlineSeconds > oldSpec.activeDeadlineSeconds) causes.push(invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be less than or equal to previous value'));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  const oldTolerations = list(oldSpec.tolerations).map(canonical);
  if (oldTolerations.every((t) => list(spec.tolerations).map(canonical).includes(t))) munged.tolerations = oldSpec.tolerations;
  if (oldSpec.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  // The embedded cluster has no pods/binding subresource: a scheduler binds a pod by setting spec.nodeName once.
  if (!oldSpec.nodeName) munged.nodeName = oldSpec.nodeName;
  if (canonical(munged) !== canonical(oldSpec)) {
    const diff = specDiff(oldSpec, munged, 'spec').join('\n');
    causes.push(forbidden('spec', `pod updates may not change fields other than ${updatablePodFields.join(',')}\n${diff}`));
  }
  return causes;
}

// ---- deployments and replica sets ----

function validateSelectorSpec(sel: Obj, path: string): StatusCause[] {
  const causes = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  list(sel.matchExpressions).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(e.values) ? e.values : [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) causes.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) causes.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      causes.push(invalid(`${p}.operator`, e.operator ?? '', 'not a valid selector operator'));
    }
    causes.push(...qualifiedNameErrors(String(e.key ?? '')).map((m) => invalid(`${p}.key`, e.key ?? '', m)));
    values.forEach((v, j) => causes.push(...labelValueErrors(String(v)).map((m) => invalid(`${p}.values[${j}]`, v, m))));
  });
  return causes;
}

const nonNegative = (spec: Obj, field: string): StatusCause[] =>
  (typeof spec[field] === 'number' && spec[field] < 0 ? [invalid(`spec.${field}`, spec[field], 'must be greater than or equal to 0')] : []);

/** Selector and template checks Deployments and ReplicaSets share (ValidatePodTemplateSpecForReplicaSet). */
export function validateReplicatedSpec(spec: Obj): StatusCause[] {
  const causes = [...nonNegative(spec, 'replicas'), ...nonNegative(spec, 'minReadySeconds')];
  const selector = asObj(spec.selector);
  if (!selector) causes.push(required('spec.selector'));
  else {
    causes.push(...validateSelectorSpec(selector, 'spec.selector'));
    if (Object.keys(asObj(selector.matchLabels) ?? {}).length + list(selector.matchExpressions).length === 0) {
      causes.push(invalid('spec.selector', goLabelSelector(selector), 'empty selector is invalid for deployment'));
    }
  }
  let parsed: LabelSelector;
  try {
    parsed = labelSelectorFromSpec(selector);
  } catch {
    return [...causes, invalid('spec.selector', goLabelSelector(selector), 'invalid label selector')];
  }
  const template = asObj(spec.template);
  if (!template) return [...causes, required('spec.template')];
  const meta = asObj(template.metadata) ?? {};
  // A missing selector selects nothing, so it also fails to match the template, as in the real API.
  if ((parsed.matchesNothing || parsed.requirements.length > 0) && !matchesLabels(parsed, asObj(meta.labels))) {
    causes.push(invalid('spec.template.metadata.labels', goMap(meta.labels), '`selector` does not match template `labels`'));
  }
  causes.push(...validateLabels(meta.labels, 'spec.template.labels'), ...validateAnnotations(meta.annotations, 'spec.template.annotations'));
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const podSpec = asObj(template.spec) ?? {};
  if (isSet(podSpec.restartPolicy) && podSpec.restartPolicy !== 'Always') causes.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy, ['Always']));
  if (isSet(podSpec.activeDeadlineSeconds)) causes.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  return causes;
}

const intOrPercent = (v: unknown): number => (typeof v === 'string' ? Number(v.replace(/%$/, '')) : Number(v ?? 0));
const showIntOrString = (v: unknown): GoValue => ({ go: String(v) });

function validateIntOrPercent(v: unknown, path: string): StatusCause[] {
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) return [invalid(path, v, regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%'))];
    return intOrPercent(v) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
  }
  return typeof v === 'number' && v < 0 ? [invalid(path, showIntOrString(v), 'must be greater than or equal to 0')] : [];
}

function validateStrategy(strategy: Obj): StatusCause[] {
  const path = 'spec.strategy';
  if (strategy.type === 'Recreate') {
    return isSet(strategy.rollingUpdate) ? [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (strategy.type !== 'RollingUpdate') return [notSupported(`${path}.type`, strategy.type ?? '', ['Recreate', 'RollingUpdate'])];
  const ru = asObj(strategy.rollingUpdate);
  if (!ru) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
  const causes = [...validateIntOrPercent(ru.maxUnavailable, `${path}.rollingUpdate.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${path}.rollingUpdate.maxSurge`)];
  if (intOrPercent(ru.maxUnavailable) === 0 && intOrPercent(ru.maxSurge) === 0) {
    causes.push(invalid(`${path}.rollingUpdate.maxUnavailable`, showIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
  }
  return causes;
}

export function validateDeployment(spec: Obj): StatusCause[] {
  const causes = validateReplicatedSpec(spec);
  causes.push(...validateStrategy(asObj(spec.strategy) ?? {}), ...nonNegative(spec, 'revisionHistoryLimit'), ...nonNegative(spec, 'progressDeadlineSeconds'));
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    causes.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return causes;
}

export function immutableSelector(spec: Obj, oldSpec: Obj): StatusCause[] {
  if (canonical(spec.selector) === canonical(oldSpec.selector)) return [];
  return [invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable')];
}

// ---- services and config maps ----

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateServicePort(port: Obj, p: string, spec: Obj): StatusCause[] {
  const causes: StatusCause[] = [];
  if (port.name) causes.push(...dns1123LabelErrors(String(port.name)).map((m) => invalid(`${p}.name`, port.name, m)));
  else if (list(spec.ports).length > 1) causes.push(required(`${p}.name`));
  causes.push(...portNumErrors(port.port ?? 0).map((m) => invalid(`${p}.port`, port.port ?? 0, m)));
  causes.push(...validateEnum(`${p}.protocol`, port.protocol, protocols));
  if (typeof port.targetPort === 'number') causes.push(...portNumErrors(port.targetPort).map((m) => invalid(`${p}.targetPort`, port.targetPort, m)));
  if (typeof port.targetPort === 'string') causes.push(...portNameErrors(port.targetPort).map((m) => invalid(`${p}.targetPort`, port.targetPort, m)));
  if (port.nodePort) {
    if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') causes.push(forbidden(`${p}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
    else if (!(port.nodePort >= 30000 && port.nodePort <= 32767)) causes.push(invalid(`${p}.nodePort`, port.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767'));
  }
  return causes;
}

export function validateService(spec: Obj): StatusCause[] {
  const causes = validateEnum('spec.type', spec.type, serviceTypes);
  if (spec.type === 'ExternalName' && !spec.externalName) causes.push(required('spec.externalName'));
  if (list(spec.ports).length === 0 && spec.clusterIP !== 'None' && spec.type !== 'ExternalName') causes.push(required('spec.ports'));
  const [names, keys] = [new Set<string>(), new Set<string>()];
  list(spec.ports).forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    causes.push(...validateServicePort(port, p, spec));
    if (port.name && names.has(port.name)) causes.push(duplicate(`${p}.name`, port.name));
    names.add(port.name);
    const key = `${port.protocol ?? ''}/${port.port}`;
    if (keys.has(key)) causes.push(duplicate(p, { go: `core.ServicePort{Name:"", Protocol:${JSON.stringify(port.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}` }));
    keys.add(key);
  });
  causes.push(...validateEnum('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  return causes;
}

export function validateConfigMap(cm: KObject): StatusCause[] {
  const [data, binary] = [asObj(cm.data) ?? {}, asObj(cm.binaryData) ?? {}];
  const causes: StatusCause[] = [];
  for (const [field, map] of [['data', data], ['binaryData', binary]] as const) {
    for (const key of Object.keys(map)) causes.push(...configMapKeyErrors(key).map((m) => invalid(`${field}[${key}]`, key, m)));
  }
  for (const key of Object.keys(data)) if (key in binary) causes.push(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
  return causes;
}
