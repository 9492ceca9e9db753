import type https from 'node:https';
import type { Server } from 'node:net';
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../core/index.js';
import { subjectAccessReviewAuthorizer } from './authorizer.js';
import { ResponseError, type MetricsLookup } from './metrics-api.js';
import { metricsServer } from './metrics-server.js';
import { registerMetricsServer, waitAvailable } from './registration.js';
import { readRequestHeaderConfig } from './request-header.js';
import { ResourceSampler, type UsageNode } from './resource-sampler.js';

export interface AggregatedMetricsOptions {
  /** an identity that may create SubjectAccessReviews and the registration objects, and list pods and nodes */
  kubeconfig: KubeConfig;
  nodes: () => readonly UsageNode[];
  /** a listener where the API server can dial it, e.g. in the network namespace the API server runs in */
  listen: () => Promise<Server>;
  /** the address the EndpointSlice names (where `listen` listens, never a loopback one) */
  address: string;
  /** a serving certificate for `metrics-server.kube-system.svc` and the CA that signed it (the APIService's caBundle) */
  tls: { certPem: string; keyPem: string; caPem: string };
  /** how often the kubelets are scraped (default 15 s) */
  resolutionMs?: number;
  /** how long start() waits for the APIService to be Available (default 60 s) */
  availableTimeoutMs?: number;
  log?: Logger;
}

/**
 * metrics-server for the real control plane: scrapes crt's kubelets for their pods' real process CPU and
 * memory and serves `metrics.k8s.io/v1beta1` behind the API server's aggregation layer, so that the real
 * HPA controller and `kubectl top` read it as they read metrics-server on any cluster.
 */
export class AggregatedMetrics {
  private readonly sampler: ResourceSampler;
  private server: https.Server | undefined;
  private listener: Server | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: AggregatedMetricsOptions) {
    this.log = (opts.log ?? silentLogger).child({ component: 'metrics-server' });
    this.sampler = new ResourceSampler({ nodes: opts.nodes, ...(opts.resolutionMs ? { resolutionMs: opts.resolutionMs } : {}) });
  }

  /** Starts scraping and serving, registers the APIService and resolves once the API server reports it Available. */
  async start(signal?: AbortSignal): Promise<void> {
    const kc = this.opts.kubeconfig;
    const core = kc.makeApiClient(CoreV1Api);
    const requestHeader = await readRequestHeaderConfig(core);
    this.sampler.start();
    const server = (this.server = metricsServer({
      tls: this.opts.tls, requestHeader, source: this.sampler, lookup: apiLookup(core), authorize: subjectAccessReviewAuthorizer(kc), log: this.log,
    }));
    const listener = (this.listener = await this.opts.listen());
    listener.on('connection', (socket) => server.emit('connection', socket));
    const port = (listener.address() as { port: number }).port;
    await registerMetricsServer(kc, this.opts.address, port, this.opts.tls.caPem);
    await waitAvailable(kc, this.opts.availableTimeoutMs ?? 60_000, signal);
    this.log.info({ address: this.opts.address, port }, 'metrics.k8s.io served through the aggregation layer');
  }

  /** Stops scraping and serving. Idempotent. */
  async stop(): Promise<void> {
    this.sampler.stop();
    this.listener?.close();
    this.listener = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Selection through the API server, as metrics-server's informers would give it; the API server's errors are passed on. */
function apiLookup(core: CoreV1Api): MetricsLookup {
  const passOn = (err: unknown): never => {
    if (err instanceof ApiException && typeof err.code === 'number' && err.code < 500) {
      let body: unknown = err.body;
      try {
        body = JSON.parse(String(err.body));
      } catch {
        // not JSON: passed on as it is
      }
      throw new ResponseError({ code: err.code, body });
    }
    throw err;
  };
  const opts = (labelSelector: string | undefined, fieldSelector: string | undefined) => ({ ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
  return {
    async pods(namespace, labelSelector, fieldSelector) {
      const list = await (namespace
        ? core.listNamespacedPod({ namespace, ...opts(labelSelector, fieldSelector) })
        : core.listPodForAllNamespaces(opts(labelSelector, fieldSelector))).catch(passOn);
      return list.items.map((p) => ({ uid: p.metadata?.uid ?? '', labels: p.metadata?.labels ?? {} }));
    },
    async nodes(labelSelector, fieldSelector) {
      const list = await core.listNode(opts(labelSelector, fieldSelector)).catch(passOn);
      return list.items.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }));
    },
  };
}
