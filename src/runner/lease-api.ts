/**
 * The run lease as Kubernetes stores it: the Lease object crt writes and reads back, and its calls through
 * client-node with the answers the lease logic decides on (cluster-lease.ts) as values.
 */
import { CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { apiStatus, type KubeClients } from '../kube/index.js';

/** The Lease a run holds while it may act on a cluster: one run per cluster (per journal namespace). */
export const RUN_LEASE_NAME = 'crt-run-lock';
/** How long a lease outlives its last renewal; it is renewed every third of it. */
export const RUN_LEASE_DURATION_SEC = 15;

/** Who holds the lease, for the person a second run is refused to (`kubectl get lease crt-run-lock -o yaml`). */
export const ANNOTATION = { host: 'crt.io/host', pid: 'crt.io/pid', startedAt: 'crt.io/started-at', crtVersion: 'crt.io/crt-version' } as const;

/** A Lease as crt reads it. Times are epoch milliseconds (MicroTime keeps microseconds; crt writes whole milliseconds). */
export interface LeaseState {
  resourceVersion: string;
  /** the holder's run id; '' when the lease was released */
  holder: string;
  durationSec: number;
  acquiredAtMs: number | null;
  /** renewTime, or acquireTime, or the lease's creation when neither is set */
  renewedAtMs: number | null;
  transitions: number;
  annotations: Record<string, string>;
}

/** What crt writes into a Lease. */
export interface LeaseWrite {
  holder: string;
  durationSec: number;
  acquiredAtMs: number;
  renewedAtMs: number;
  transitions: number;
  annotations: Record<string, string>;
}

/**
 * The Lease calls the lease logic makes, with the answers it decides on as values (a 409 is
 * someone else's write, not an error). `kubeLeaseApi` in production; tests give an in-process one.
 */
export interface LeaseApi {
  /** `<namespace>/<name> at <server>`, for messages */
  readonly where: string;
  read(): Promise<LeaseState | null>;
  /** 'exists': someone created it first (409); 'no-namespace': the namespace does not exist (404) */
  create(w: LeaseWrite): Promise<LeaseState | 'exists' | 'no-namespace'>;
  /** 'conflict': the lease changed since `resourceVersion` (409); 'gone': it was deleted (404) */
  replace(resourceVersion: string, w: LeaseWrite): Promise<LeaseState | 'conflict' | 'gone'>;
  /** deletes the lease only if it is still at `resourceVersion` */
  delete(resourceVersion: string): Promise<'deleted' | 'conflict' | 'gone'>;
}

/** The Lease object crt writes (MicroTimes as client-node serialises them: six fractional digits). */
export function leaseObject(namespace: string, w: LeaseWrite, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name: RUN_LEASE_NAME, namespace, ...(resourceVersion ? { resourceVersion } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'crt' }, annotations: w.annotations,
    },
    spec: {
      holderIdentity: w.holder, leaseDurationSeconds: w.durationSec, leaseTransitions: w.transitions,
      acquireTime: new V1MicroTime(w.acquiredAtMs), renewTime: new V1MicroTime(w.renewedAtMs),
    },
  };
}

/** A Lease read back. client-node leaves MicroTimes as the server's strings, though it types them as dates. */
export function leaseState(l: V1Lease): LeaseState {
  const time = (v: unknown): number | null => {
    const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isNaN(ms) ? null : ms;
  };
  const acquired = time(l.spec?.acquireTime);
  return {
    resourceVersion: l.metadata?.resourceVersion ?? '',
    holder: l.spec?.holderIdentity ?? '',
    durationSec: l.spec?.leaseDurationSeconds ?? RUN_LEASE_DURATION_SEC,
    acquiredAtMs: acquired,
    renewedAtMs: time(l.spec?.renewTime) ?? acquired ?? time(l.metadata?.creationTimestamp),
    transitions: l.spec?.leaseTransitions ?? 0,
    annotations: { ...(l.metadata?.annotations ?? {}) },
  };
}

/** The run lease in `namespace` of a cluster, through client-node. */
export function kubeLeaseApi(kube: KubeClients, namespace: string): LeaseApi {
  const api = kube.kc.makeApiClient(CoordinationV1Api);
  const name = RUN_LEASE_NAME;
  return {
    where: `${namespace}/${name} at ${kube.server}`,
    async read() {
      try {
        return leaseState(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (apiStatus(err) === 404) return null;
        throw err;
      }
    },
    async create(w) {
      try {
        return leaseState(await api.createNamespacedLease({ namespace, body: leaseObject(namespace, w) }));
      } catch (err) {
        if (apiStatus(err) === 409) return 'exists';
        // 404 on a create: the namespace is missing (a server without Leases is no Kubernetes crt supports)
        if (apiStatus(err) === 404) return 'no-namespace';
        throw err;
      }
    },
    async replace(resourceVersion, w) {
      try {
        return leaseState(await api.replaceNamespacedLease({ name, namespace, body: leaseObject(namespace, w, resourceVersion) }));
      } catch (err) {
        if (apiStatus(err) === 409) return 'conflict';
        if (apiStatus(err) === 404) return 'gone';
        throw err;
      }
    },
    async delete(resourceVersion) {
      try {
        await api.deleteNamespacedLease({ name, namespace, body: { preconditions: { resourceVersion } } });
        return 'deleted';
      } catch (err) {
        if (apiStatus(err) === 409) return 'conflict';
        if (apiStatus(err) === 404) return 'gone';
        throw err;
      }
    },
  };
}
