/**
 * Defaulting as the real API server does it on create and update (`pkg/apis/<group>/v1/defaults.go` plus the
 * bits the registry strategies fill in), so stored objects read back the way kubectl and controllers expect.
 * Every default only fills a field that is absent: what the client sent always wins.
 */
import { decodeLeaseTimes, LEASES } from './lease.js';
import { defaultNetworkPolicy } from './network-policy.js';
import type { KObject } from './types.js';
import { defaultHorizontalPodAutoscaler, defaultJob } from './workload-defaults.js';

type Obj = Record<string, any>;

/**
 * Fill `obj[key]` when it is unset, returning the value it now holds. As in Go, an empty string is unset
 * (`if obj.RestartPolicy == ""`), while 0 and false are kept: the numeric and boolean defaults are pointers there.
 */
function fill<T>(obj: Obj, key: string, value: T): T {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
  return obj[key] as T;
}

const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((e): e is Obj => asObj(e) !== undefined) : []);

/** Apply the API server's defaults for `resourceKey` to `obj`, in place. */
export function applyDefaults(resourceKey: string, obj: KObject): void {
  switch (resourceKey) {
    case 'pods':
      defaultPod(obj);
      break;
    case 'apps/deployments':
      defaultDeployment(obj);
      break;
    case 'apps/replicasets':
      defaultReplicaSet(obj);
      break;
    case 'services':
      defaultService(obj);
      break;
    case 'namespaces':
      defaultNamespace(obj);
      break;
    case 'batch/jobs':
      defaultJob(obj);
      break;
    case 'autoscaling/horizontalpodautoscalers':
      defaultHorizontalPodAutoscaler(obj);
      break;
    case 'networking.k8s.io/networkpolicies':
      defaultNetworkPolicy(obj);
      break;
    case LEASES:
      // not a default: the MicroTime decoding the server does first (a 400 for a badly formed time)
      decodeLeaseTimes(obj);
      break;
    default:
      // nodes, events, configmaps, endpoints, endpoint slices: nothing the cluster relies on
      break;
  }
}

function defaultPod(pod: KObject): void {
  defaultPodSpec(fill<Obj>(pod, 'spec', {}));
}

/** SetDefaults_PodSpec, SetDefaults_Pod and the container, port, probe and volume defaults beneath them. */
export function defaultPodSpec(spec: Obj): void {
  fill(spec, 'restartPolicy', 'Always');
  fill(spec, 'terminationGracePeriodSeconds', 30);
  fill(spec, 'dnsPolicy', 'ClusterFirst');
  fill(spec, 'securityContext', {});
  fill(spec, 'schedulerName', 'default-scheduler');
  fill(spec, 'enableServiceLinks', true);
  for (const c of [...list(spec.initContainers), ...list(spec.containers), ...list(spec.ephemeralContainers)]) {
    defaultContainer(c, spec.hostNetwork === true);
  }
  for (const v of list(spec.volumes)) defaultVolume(v);
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  fill(c, 'imagePullPolicy', imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent');
  fill(c, 'terminationMessagePath', '/dev/termination-log');
  fill(c, 'terminationMessagePolicy', 'File');
  fill(c, 'resources', {});
  for (const port of list(c.ports)) {
    fill(port, 'protocol', 'TCP');
    // With host networking the container port is the host port.
    if (hostNetwork && !port.hostPort) port.hostPort = port.containerPort;
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = asObj(c[probe]);
    if (p) defaultProbe(p);
  }
  for (const hook of ['postStart', 'preStop']) {
    const httpGet = asObj(asObj(asObj(c.lifecycle)?.[hook])?.httpGet);
    if (httpGet) defaultHttpGet(httpGet);
  }
}

/**
 * The tag the kubelet would pull, as `parsers.ParseImageName` reads it: `latest` when the reference names
 * neither a tag nor a digest, none when it only pins a digest.
 */
export function imageTag(image: string): string | undefined {
  const [name = '', digest] = image.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) return name.slice(colon + 1);
  return digest === undefined ? 'latest' : undefined;
}

function defaultProbe(p: Obj): void {
  fill(p, 'timeoutSeconds', 1);
  fill(p, 'periodSeconds', 10);
  fill(p, 'successThreshold', 1);
  fill(p, 'failureThreshold', 3);
  const httpGet = asObj(p.httpGet);
  if (httpGet) defaultHttpGet(httpGet);
}

function defaultHttpGet(h: Obj): void {
  fill(h, 'path', '/');
  fill(h, 'scheme', 'HTTP');
}

function defaultVolume(v: Obj): void {
  for (const source of ['configMap', 'secret', 'projected', 'downwardAPI']) {
    const s = asObj(v[source]);
    if (s) fill(s, 'defaultMode', 420);
  }
}

function defaultTemplate(spec: Obj): void {
  const template = fill<Obj>(spec, 'template', {});
  defaultPodSpec(fill<Obj>(template, 'spec', {}));
}

function defaultDeployment(d: KObject): void {
  const spec = fill<Obj>(d, 'spec', {});
  fill(spec, 'replicas', 1);
  const strategy = fill<Obj>(spec, 'strategy', {});
  fill(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = fill<Obj>(strategy, 'rollingUpdate', {});
    fill(rollingUpdate, 'maxUnavailable', '25%');
    fill(rollingUpdate, 'maxSurge', '25%');
  }
  fill(spec, 'revisionHistoryLimit', 10);
  fill(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

function defaultReplicaSet(rs: KObject): void {
  const spec = fill<Obj>(rs, 'spec', {});
  fill(spec, 'replicas', 1);
  defaultTemplate(spec);
}

function defaultService(svc: KObject): void {
  const spec = fill<Obj>(svc, 'spec', {});
  fill(spec, 'type', 'ClusterIP');
  fill(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  for (const port of list(spec.ports)) {
    fill(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
  }
  const externallyAccessible = spec.type === 'NodePort' || spec.type === 'LoadBalancer'
    || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) fill(spec, 'externalTrafficPolicy', 'Cluster');
  if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) fill(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') fill(spec, 'allocateLoadBalancerNodePorts', true);
}

function defaultNamespace(ns: KObject): void {
  const spec = fill<Obj>(ns, 'spec', {});
  fill(spec, 'finalizers', ['kubernetes']);
  fill<Obj>(ns, 'status', {});
  fill(ns.status as Obj, 'phase', 'Active');
  // Since 1.21 every namespace carries its own name as a label, so selectors can pick namespaces by name.
  if (ns.metadata.name) fill<Obj>(ns.metadata, 'labels', {})['kubernetes.io/metadata.name'] = ns.metadata.name;
}
