import type { KObject } from '../api/index.js';
import { computeHash } from './deployment-util.js';
import { isPodReady, isPodTerminal } from './objects.js';

/** What the endpoints and EndpointSlice controllers derive from a Service and its pods, as pure functions. */

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface EndpointPort { name?: string; port: number; protocol: string; appProtocol?: string }

/** podutil.FindPort: a named targetPort is looked up in the pod's container ports (same protocol). */
function findPort(pod: KObject, servicePort: any): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  const protocol = servicePort.protocol ?? 'TCP';
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return Number(p.containerPort);
  }
  return undefined;
}

/** The endpoint ports of one pod for the Service, sorted; ports the pod does not offer are left out. */
function podPorts(svc: KObject, pod: KObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port));
}

function podIP(pod: KObject): string | undefined {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || undefined;
}

/** ShouldPodBeInEndpoints: has an IP, is not finished, and (unless terminating ones are wanted) is not terminating. */
function inEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod) || !podIP(pod)) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

const targetRef = (pod: KObject): Record<string, string> =>
  ({ kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! });

const byIp = (a: { ip: string }, b: { ip: string }): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

/**
 * The Endpoints subsets: ready pods in `addresses`, the others in `notReadyAddresses`, terminating pods
 * nowhere, grouped by the set of ports they offer (RepackSubsets). Empty when there are none.
 */
export function endpointSubsets(svc: KObject, pods: KObject[]): any[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, { ports: EndpointPort[]; ready: any[]; notReady: any[] }>();
  for (const pod of pods) {
    if (!inEndpoints(pod, publishNotReady)) continue;
    const ports = podPorts(svc, pod);
    if (ports.length === 0 && (svc.spec?.ports ?? []).length > 0) continue;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, ready: [], notReady: [] };
    groups.set(key, group);
    const address = { ip: podIP(pod)!, ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef: targetRef(pod) };
    (publishNotReady || isPodReady(pod) ? group.ready : group.notReady).push(address);
  }
  return [...groups.keys()].sort().map((key) => {
    const g = groups.get(key)!;
    return {
      ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    };
  });
}

export interface SliceContent {
  /** `<service>-<hash>`: stable for a Service and port set, so a re-sync finds the slice it wrote. */
  name: string;
  ports: EndpointPort[];
  endpoints: any[];
}

/**
 * The EndpointSlice contents: one slice per port set, endpoints with conditions ready / serving /
 * terminating (terminating pods stay, not ready, so proxies can drain them). One empty slice when no
 * pod matches, as the EndpointSlice controller keeps a placeholder.
 */
export function sliceContents(svc: KObject, pods: KObject[]): SliceContent[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, SliceContent>();
  for (const pod of pods) {
    if (!inEndpoints(pod, true)) continue;
    const ports = podPorts(svc, pod);
    if (ports.length === 0 && (svc.spec?.ports ?? []).length > 0) continue;
    const key = JSON.stringify(ports);
    const slice = groups.get(key) ?? { name: sliceName(svc, key), ports, endpoints: [] };
    groups.set(key, slice);
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    const serving = publishNotReady || isPodReady(pod);
    slice.endpoints.push({
      addresses: [podIP(pod)!],
      conditions: { ready: serving && (publishNotReady || !terminating), serving, terminating },
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: targetRef(pod),
    });
  }
  const slices = [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const s of slices) s.endpoints.sort((a, b) => (a.addresses[0] < b.addresses[0] ? -1 : a.addresses[0] > b.addresses[0] ? 1 : 0));
  return slices.length > 0 ? slices : [{ name: sliceName(svc, '[]'), ports: [], endpoints: [] }];
}

function sliceName(svc: KObject, portsKey: string): string {
  return `${svc.metadata.name}-${computeHash([svc.metadata.uid, portsKey]).slice(0, 5)}`;
}

/** The labels a Service's Endpoints carry: the Service's own (the endpoints controller copies them). */
export function endpointsLabels(svc: KObject): Record<string, string> | undefined {
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return Object.keys(labels).length ? labels : undefined;
}

export function sliceLabels(svc: KObject): Record<string, string> {
  return { ...(endpointsLabels(svc) ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY };
}
