import os from 'node:os';
import type { KObject } from '../api/index.js';
import { parseQuantity } from '../../core/index.js';

/**
 * A container's environment as the kubelet builds it: service variables, then `envFrom`, then `env`
 * (later wins), `$(VAR)` references expanded against what is defined so far.
 */

/** Reads a ConfigMap's or Secret's data (Secret values already base64-decoded); `undefined` when absent. */
export type ConfigLookup = (kind: 'ConfigMap' | 'Secret', namespace: string, name: string) => Record<string, string> | undefined;

/** A reference the kubelet cannot resolve: the container waits with `CreateContainerConfigError`. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvContext {
  pod: KObject;
  podIP: string;
  hostIP: string;
  nodeName: string;
  /** Variables every container gets before its own (pod identity, service variables). */
  base: Record<string, string>;
  lookup?: ConfigLookup;
}

/**
 * Expands `$(NAME)` from `vars` like Kubernetes: `$$` is a literal `$`, and an unknown or unterminated
 * reference stays as written.
 */
export function expand(input: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += Object.hasOwn(vars, name) ? vars[name] : `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

/** The container's full environment; throws {@link ContainerConfigError} for a missing ConfigMap, Secret or key. */
export function containerEnv(container: any, ctx: EnvContext): Record<string, string> {
  const vars: Record<string, string> = { ...ctx.base };
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const data = readConfig(ctx, kind, namespace, ref);
    for (const [key, value] of Object.entries(data ?? {})) {
      if (key !== '' && !key.includes('=')) vars[`${source.prefix ?? ''}${key}`] = String(value);
    }
  }
  for (const entry of container.env ?? []) {
    const value = entry.valueFrom ? valueFrom(entry.valueFrom, container, ctx) : expand(String(entry.value ?? ''), vars);
    if (value !== undefined) vars[String(entry.name)] = value;
  }
  return vars;
}

function readConfig(ctx: EnvContext, kind: 'ConfigMap' | 'Secret', namespace: string, ref: any): Record<string, string> | undefined {
  const data = ctx.lookup?.(kind, namespace, String(ref?.name ?? ''));
  if (data === undefined && ref?.optional !== true) {
    throw new ContainerConfigError(`${kind === 'ConfigMap' ? 'configmap' : 'secret'} "${ref?.name}" not found`);
  }
  return data;
}

function valueFrom(source: any, container: any, ctx: EnvContext): string | undefined {
  if (source.fieldRef) return fieldValue(String(source.fieldRef.fieldPath), ctx);
  if (source.resourceFieldRef) return resourceValue(source.resourceFieldRef, container, ctx);
  const ref = source.configMapKeyRef ?? source.secretKeyRef;
  if (!ref) return undefined;
  const kind = source.configMapKeyRef ? 'ConfigMap' : 'Secret';
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  const data = readConfig(ctx, kind, namespace, ref);
  const value = data?.[ref.key];
  if (value === undefined && data !== undefined && ref.optional !== true) {
    throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`);
  }
  return value;
}

/** The downward API fields a container's env may reference. */
export function fieldValue(fieldPath: string, ctx: EnvContext): string {
  const meta = ctx.pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2] ?? ''] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? 'default';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return ctx.nodeName;
    case 'spec.serviceAccountName': return String(ctx.pod.spec?.serviceAccountName ?? 'default');
    case 'status.podIP': case 'status.podIPs': return ctx.podIP;
    case 'status.hostIP': case 'status.hostIPs': return ctx.hostIP;
    default: throw new ContainerConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  }
}

/** `limits.cpu` and friends; an unset limit reads as the whole machine, as the node's allocatable. */
function resourceValue(ref: any, container: any, ctx: EnvContext): string {
  const target = ref.containerName
    ? [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((c: any) => c.name === ref.containerName)
    : container;
  const [kind, resource] = String(ref.resource).split('.') as [string, string];
  const limits = target?.resources?.limits ?? {};
  const requests = target?.resources?.requests ?? {};
  const machine: Record<string, number> = { cpu: os.availableParallelism(), memory: os.totalmem() };
  const value = kind === 'limits'
    ? parseQuantity(limits[resource]) ?? machine[resource] ?? 0
    : parseQuantity(requests[resource]) ?? parseQuantity(limits[resource]) ?? 0;
  const divisor = parseQuantity(ref.divisor ?? '1') || 1;
  return String(Math.ceil(value / divisor));
}
