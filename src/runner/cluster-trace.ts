import { VersionApi, type V1Pod } from '@kubernetes/client-node';
import { errorMessage, type Clock } from '../core/index.js';
import type { KubeClients } from '../kube/index.js';
import type { ContainerImage, ImageChange, ImageRecord, ImageSnapshot } from '../results/index.js';

/**
 * The cluster's side of a run's traceability: the Kubernetes server version (/version) and the
 * images actually running in the plan's namespaces, read from the pods' statuses at the start and
 * at the end of the run, so a report says what was tested even when the plan's `versions:` (typed
 * by hand) are stale, and flags an image that changed during the run (a deploy in the middle).
 */

/** `v1.37.2` from the API server's /version; null when it cannot be read (the run goes on). */
export async function kubernetesVersion(kube: KubeClients): Promise<string | null> {
  try {
    return (await kube.kc.makeApiClient(VersionApi).getCode()).gitVersion;
  } catch {
    return null;
  }
}

/** The workload a pod belongs to: a ReplicaSet owner without the pod-template-hash, another owner as `kind/name`, or the pod. */
export function podWorkload(pod: V1Pod): string {
  const owner = pod.metadata?.ownerReferences?.[0];
  if (!owner) return `pod/${pod.metadata?.name ?? '?'}`;
  if (owner.kind === 'ReplicaSet') {
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    return `deployment/${hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name}`;
  }
  return `${owner.kind.toLowerCase()}/${owner.name}`;
}

/** Every container (init containers included) of a pod, with the image its spec asks for and the one its status says runs. */
export function podImages(pod: V1Pod): ContainerImage[] {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const workload = podWorkload(pod);
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return specs.map((c) => {
    const s = statuses.find((x) => x.name === c.name);
    return { namespace, workload, pod: name, container: c.name, image: c.image ?? s?.image ?? '', imageID: s?.imageID ?? '' };
  });
}

/** The images running in `namespaces` now; a namespace that cannot be listed gives an error, not a failed run. */
export async function readImages(kube: KubeClients, namespaces: readonly string[], clock: Clock): Promise<ImageSnapshot> {
  const at = new Date(clock.wallNow()).toISOString();
  const containers: ContainerImage[] = [];
  const errors: string[] = [];
  for (const namespace of namespaces) {
    try {
      for (const pod of (await kube.core.listNamespacedPod({ namespace })).items) containers.push(...podImages(pod));
    } catch (err) {
      errors.push(`${namespace}: ${errorMessage(err)}`);
    }
  }
  containers.sort((a, b) => key(a).localeCompare(key(b)) || a.pod.localeCompare(b.pod));
  return { at, containers, ...(errors.length ? { error: `cannot list pods in ${errors.join('; ')}` } : {}) };
}

const key = (c: Pick<ContainerImage, 'namespace' | 'workload' | 'container'>): string => `${c.namespace}/${c.workload}/${c.container}`;
const shown = (c: ContainerImage): string => (c.imageID ? `${c.image} (${c.imageID})` : c.image);

/**
 * The workloads' containers whose images differ between the two reads. Pods come and go (a killed
 * pod is replaced), so containers are matched by workload and container name, and compared as the
 * set of images their pods ran. A workload present at one end only counts as changed.
 */
export function imageChanges(start: ImageSnapshot, end: ImageSnapshot): ImageChange[] {
  const group = (s: ImageSnapshot): Map<string, { c: ContainerImage; images: Set<string> }> => {
    const out = new Map<string, { c: ContainerImage; images: Set<string> }>();
    for (const c of s.containers) {
      const g = out.get(key(c)) ?? { c, images: new Set<string>() };
      g.images.add(shown(c));
      out.set(key(c), g);
    }
    return out;
  };
  const a = group(start);
  const b = group(end);
  const changes: ImageChange[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const before = [...(a.get(k)?.images ?? [])].sort();
    const after = [...(b.get(k)?.images ?? [])].sort();
    if (before.join('\n') === after.join('\n')) continue;
    const c = (a.get(k) ?? b.get(k))!.c;
    changes.push({ namespace: c.namespace, workload: c.workload, container: c.container, start: before, end: after });
  }
  return changes;
}

/** The record of both reads; `end` null when the run ended before it could read again. */
export function imageRecord(namespaces: readonly string[], start: ImageSnapshot, end: ImageSnapshot | null): ImageRecord {
  // a read that failed shows nothing: comparing it would flag every workload as changed
  const comparable = end && !start.error && !end.error;
  return { namespaces: [...namespaces], start, end, changes: comparable ? imageChanges(start, end) : [] };
}
