import {
  ApiException, ApiregistrationV1Api, CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api,
  type KubeConfig, type V1APIService, type V1ClusterRole, type V1EndpointSlice, type V1Service,
} from '@kubernetes/client-node';
import { EnvironmentError } from '../../core/index.js';
import { METRICS_GROUP, METRICS_VERSION } from './metrics-objects.js';

/** Where crt's metrics-server is registered: the Service and APIService names metrics-server's manifest uses. */
export const METRICS_SERVICE = { namespace: 'kube-system', name: 'metrics-server' } as const;
export const METRICS_APISERVICE = `${METRICS_VERSION}.${METRICS_GROUP}`;
const SERVICE_PORT = 443;
const PORT_NAME = 'https';
const labels = { 'k8s-app': 'metrics-server', 'app.kubernetes.io/managed-by': 'crt' };

/** The DNS names the API server checks the serving certificate against (`<service>.<namespace>.svc`). */
export function metricsServiceDnsNames(): string[] {
  const svc = `${METRICS_SERVICE.name}.${METRICS_SERVICE.namespace}.svc`;
  return [svc, `${svc}.cluster.local`];
}

/** metrics-server's `system:aggregated-metrics-reader`: the view, edit and admin roles read resource metrics. */
export const aggregatedMetricsReader: V1ClusterRole = {
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
  metadata: {
    name: 'system:aggregated-metrics-reader',
    labels: { ...labels, 'rbac.authorization.k8s.io/aggregate-to-view': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
  },
  rules: [{ apiGroups: [METRICS_GROUP], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
};

/**
 * The objects that put the server behind the aggregation layer: a Service without a selector, its
 * EndpointSlice naming where the server listens (the API server routes to endpoints itself:
 * --enable-aggregator-routing), and the APIService whose caBundle is the CA of the serving certificate.
 */
export function registrationObjects(address: string, port: number, caPem: string): { service: V1Service; slice: V1EndpointSlice; apiService: V1APIService } {
  return {
    service: {
      apiVersion: 'v1', kind: 'Service', metadata: { ...METRICS_SERVICE, labels },
      spec: { ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: port, protocol: 'TCP' }] },
    },
    slice: {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
      metadata: {
        namespace: METRICS_SERVICE.namespace, name: `${METRICS_SERVICE.name}-crt`,
        labels: { ...labels, 'kubernetes.io/service-name': METRICS_SERVICE.name, 'endpointslice.kubernetes.io/managed-by': 'metrics-server.crt.io' },
      },
      endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: PORT_NAME, port, protocol: 'TCP' }],
    },
    apiService: {
      apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: METRICS_APISERVICE, labels },
      spec: {
        group: METRICS_GROUP, version: METRICS_VERSION, groupPriorityMinimum: 100, versionPriority: 100,
        service: { ...METRICS_SERVICE, port: SERVICE_PORT }, caBundle: Buffer.from(caPem).toString('base64'),
      },
    },
  };
}

async function createOnce(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
}

/** Creates the role, Service, EndpointSlice and APIService (those already there are left as they are: the state is fresh at every start). */
export async function registerMetricsServer(kc: KubeConfig, address: string, port: number, caPem: string): Promise<void> {
  const o = registrationObjects(address, port, caPem);
  await createOnce(() => kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({ body: aggregatedMetricsReader }));
  await createOnce(() => kc.makeApiClient(CoreV1Api).createNamespacedService({ namespace: METRICS_SERVICE.namespace, body: o.service }));
  await createOnce(() => kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({ namespace: METRICS_SERVICE.namespace, body: o.slice }));
  await createOnce(() => kc.makeApiClient(ApiregistrationV1Api).createAPIService({ body: o.apiService }));
}

/** Resolves once the API server reports the APIService Available=True (its own discovery check passed through the proxy). */
export async function waitAvailable(kc: KubeConfig, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const api = kc.makeApiClient(ApiregistrationV1Api);
  const deadline = Date.now() + timeoutMs;
  let last = 'no condition yet';
  for (;;) {
    const available = (await api.readAPIService({ name: METRICS_APISERVICE })).status?.conditions?.find((c) => c.type === 'Available');
    if (available?.status === 'True') return;
    if (available) last = `${available.reason}: ${available.message}`;
    if (Date.now() > deadline) {
      throw new EnvironmentError(`the API server does not report APIService ${METRICS_APISERVICE} Available after ${Math.round(timeoutMs / 1000)} s (${last})`, {
        hint: 'see the kube-apiserver log in the cluster\'s control-plane/logs folder',
      });
    }
    if (signal?.aborted) throw signal.reason;
    await new Promise((r) => setTimeout(r, 200));
  }
}
