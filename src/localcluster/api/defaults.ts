/**
 * Defaulting as the real API server does it on create and update (`pkg/apis/<group>/v1/defaults.go` plus the
 * bits the registry strategies fill in), so stored objects read back the way kubectl and controllers expect.
 * Every default only fills a field that is absent: what the client sent always wins.
 */
import { decodeLeaseTimes, LEASES } from './lease.js';
import { defaultNetworkPolicy } from './network-policy.js';
import { defaultPodSpec, fill, list, type Obj } from './pod-defaults.js';
import type { KObject } from './types.js';
import { defaultHorizontalPodAutoscaler, defaultJob } from './workload-defaults.js';

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
