import { labelSelectorFromMap, matchesLabels } from '../../kube/index.js';
import type { KObject } from '../api/index.js';

/**
 * Which ports of a pod its ingress gate listens on. Kubernetes does not require containerPorts to be
 * declared, but a userspace gate must know a port before traffic arrives: it takes the containers'
 * declared TCP ports, the numeric ports of their httpGet/tcpSocket probes and hooks, and the numeric
 * targetPorts (or ports) of the Services selecting the pod when it starts. A port none of these
 * name is not reachable on the pod IP (only on the private address): declare it.
 */
export function gatePorts(pod: KObject, services: readonly KObject[]): number[] {
  const ports = new Set<number>();
  const containers: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    for (const p of c.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') add(ports, p.containerPort);
    for (const handler of [c.readinessProbe, c.livenessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop]) {
      const action = handler?.httpGet ?? handler?.tcpSocket;
      // a probe with its own host does not reach this pod
      if (action && !action.host) add(ports, action.port);
    }
  }
  for (const svc of services) {
    if (svc.metadata.namespace !== pod.metadata.namespace || !svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) continue;
    if (!matchesLabels(labelSelectorFromMap(svc.spec.selector), pod.metadata.labels ?? {})) continue;
    for (const p of svc.spec.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') add(ports, p.targetPort ?? p.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Numbers, and numeric strings; a named port is a declared containerPort, already counted. */
function add(ports: Set<number>, port: unknown): void {
  const n = typeof port === 'number' ? port : typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= 65535) ports.add(n);
}

/**
 * The container that sets `HOST` to the pod IP itself (`fieldRef: status.podIP`, or `$(POD_IP)`), if
 * any: it would listen where the gate must, so such a pod is run without a gate (and a warning).
 */
export function containerBindingPodIP(pod: KObject): string | undefined {
  const containers: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    const host = (c.env ?? []).find((e: any) => e?.name === 'HOST');
    const path = host?.valueFrom?.fieldRef?.fieldPath;
    if (path === 'status.podIP' || path === 'status.podIPs' || (typeof host?.value === 'string' && host.value.includes('$(POD_IP)'))) return String(c.name);
  }
  return undefined;
}
