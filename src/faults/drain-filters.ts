import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';

/**
 * kubectl drain's pod filters (k8s.io/kubectl/pkg/drain/filters.go), mirrored one for one, in its
 * order: skipDeleted, daemonSet, mirrorPod, localStorage, unreplicated. Each pod goes through them
 * until one says not to delete it; errors and warnings are grouped by message, as kubectl prints them.
 * Only the option names differ: the plan's keys instead of the flags.
 */
export interface DrainFilterOptions {
  /** --force: evict pods that declare no controller, and pods of a DaemonSet that is gone */
  force?: boolean;
  /** --ignore-daemonsets: leave DaemonSet pods in place instead of refusing the drain */
  ignoreDaemonSets?: boolean;
  /** --delete-emptydir-data: evict running pods with emptyDir volumes */
  deleteEmptyDirData?: boolean;
}

/**
 * What a GET of a pod's DaemonSet answered: found, or the API's error. kubectl makes that call for
 * each running DaemonSet pod; the caller makes it before filtering, so the filters stay pure.
 */
export type DaemonSetLookup = (namespace: string, name: string) => { found: true } | { found: false; notFound: boolean; message: string };

export interface DrainSelection {
  /** the pods to evict (terminating ones included: kubectl evicts and waits for them too) */
  evict: V1Pod[];
  /** `ignoring DaemonSet-managed Pods: app/ds-1, app/ds-2`, one per message */
  warnings: string[];
  /** `cannot delete Pods that declare no controller (set force: true to override): app/bare`, one per message */
  errors: string[];
}

const DAEMONSET_FATAL = 'DaemonSet-managed Pods (set ignoreDaemonSets: true to ignore)';
const DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods';
const LOCAL_STORAGE_FATAL = 'Pods with local storage (set deleteEmptyDirData: true to override)';
const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
const UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (set force: true to override)';
const UNMANAGED_WARNING = 'deleting Pods that declare no controller';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

type Status = { delete: true; warning?: string } | { delete: false; warning?: string; error?: string };
type Filter = (pod: V1Pod) => Status;

const OKAY: Status = { delete: true };
const SKIP: Status = { delete: false };

/** The pods of a node a drain evicts, what it warns about, and what refuses it. */
export function selectForDrain(pods: readonly V1Pod[], o: DrainFilterOptions, daemonSets: DaemonSetLookup): DrainSelection {
  const filters: Filter[] = [
    // skipDeletedFilter: only with --skip-wait-for-delete-timeout, which crt does not offer (0: never skip)
    () => OKAY,
    (pod) => daemonSetFilter(pod, o, daemonSets),
    (pod) => (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined ? SKIP : OKAY),
    (pod) => localStorageFilter(pod, o),
    (pod) => unreplicatedFilter(pod, o),
  ];
  const evict: V1Pod[] = [];
  const warnings = new Map<string, string[]>();
  const errors = new Map<string, string[]>();
  for (const pod of pods) {
    let status: Status = OKAY;
    let at = 0;
    for (; at < filters.length; at++) {
      status = filters[at]!(pod);
      if (!status.delete) break;
    }
    // as kubectl, only the last filter's warning is kept (a later filter's OKAY drops an earlier warning)
    if (status.warning) group(warnings, at, status.warning, pod);
    if (!status.delete && status.error) group(errors, at, status.error, pod);
    if (status.delete) evict.push(pod);
  }
  // kubectl lists its groups in map order (random): here in the order of the filters, then of the pods
  const lines = (m: Map<string, string[]>) => [...m].sort(([a], [b]) => Number(a.split('\0')[0]) - Number(b.split('\0')[0]))
    .map(([key, refs]) => ({ msg: key.split('\0')[1]!, refs: refs.join(', ') }));
  return {
    evict,
    warnings: lines(warnings).map(({ msg, refs }) => `${msg}: ${refs}`),
    errors: lines(errors).map(({ msg, refs }) => `${/^cannot delete/i.test(msg) ? msg : `cannot delete ${msg}`}: ${refs}`),
  };
}

function daemonSetFilter(pod: V1Pod, o: DrainFilterOptions, daemonSets: DaemonSetLookup): Status {
  const ref = controllerOf(pod);
  if (!ref || ref.kind !== 'DaemonSet') return OKAY;
  if (finished(pod)) return OKAY;
  const found = daemonSets(pod.metadata?.namespace ?? '', ref.name);
  if (!found.found) {
    // an orphan whose DaemonSet is gone goes with force, with a warning
    if (found.notFound && o.force) return { delete: true, warning: found.message };
    return { delete: false, error: found.message };
  }
  if (!o.ignoreDaemonSets) return { delete: false, error: DAEMONSET_FATAL };
  return { delete: false, warning: DAEMONSET_WARNING };
}

function localStorageFilter(pod: V1Pod, o: DrainFilterOptions): Status {
  if (!pod.spec?.volumes?.some((v) => v.emptyDir)) return OKAY;
  // a finished pod's data is of no use to anyone
  if (finished(pod)) return OKAY;
  if (!o.deleteEmptyDirData) return { delete: false, error: LOCAL_STORAGE_FATAL };
  return { delete: true, warning: LOCAL_STORAGE_WARNING };
}

function unreplicatedFilter(pod: V1Pod, o: DrainFilterOptions): Status {
  if (finished(pod)) return OKAY;
  if (controllerOf(pod)) return OKAY;
  if (o.force) return { delete: true, warning: UNMANAGED_WARNING };
  return { delete: false, error: UNMANAGED_FATAL };
}

/** metav1.GetControllerOf: the owner reference marked controller. */
export function controllerOf(pod: V1Pod): V1OwnerReference | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller === true);
}

const finished = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

function group(into: Map<string, string[]>, filter: number, msg: string, pod: V1Pod): void {
  const key = `${filter}\0${msg}`;
  const refs = into.get(key) ?? [];
  refs.push(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
  into.set(key, refs);
}
