import { isDeepStrictEqual } from 'node:util';
import { ApiError, type KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import type { ControllerOptions } from './controller.js';
import { endpointsLabels, endpointSubsets, MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, sliceContents, sliceLabels } from './endpoints-build.js';
import { keyOf, mapSelectorMatches, newControllerRef, splitKey } from './objects.js';
import { QueueController } from './queue-controller.js';

const SLICES = 'discovery.k8s.io/endpointslices';

/**
 * The endpoints and EndpointSlice controllers in one: for every Service with a selector, an Endpoints
 * object of the same name (ready pods in `addresses`, the others in `notReadyAddresses`, terminating pods
 * dropped at once) and EndpointSlices `<service>-<hash>` (terminating pods kept with ready=false). The
 * Service proxies follow the Endpoints objects through a store watch. Writes are skipped when nothing changed.
 */
export class EndpointsController extends QueueController {
  /** The pods each Service's endpoints held at its last sync, so a pod leaving the selector is noticed. */
  private readonly members = new Map<string, Set<string>>();

  constructor(store: Store, opts: ControllerOptions = {}) {
    super(store, 'endpoints', opts);
  }

  protected watch(): Array<() => void> {
    return [
      this.store.watch('services', undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      this.store.watch('pods', undefined, {}, (e) => this.podChanged(e.object)),
      // Someone else edited or deleted what we wrote: put it back.
      this.store.watch('endpoints', undefined, {}, (e) => this.queue.add(keyOf(e.object))),
      this.store.watch(SLICES, undefined, {}, (e) => {
        const service = e.object.metadata.labels?.[SERVICE_NAME_LABEL];
        if (service) this.queue.add(`${e.object.metadata.namespace}/${service}`);
      }),
    ];
  }

  protected keys(): string[] {
    return this.store.snapshot('services').map(keyOf);
  }

  /** Reconciles one Service's Endpoints and EndpointSlices; public so tests can run a sync synchronously. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const svc = this.store.peek('services', namespace, name);
    if (!svc) return this.serviceGone(key);
    // Without a selector the endpoints are the user's to write; an ExternalName Service has none.
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0 || svc.spec.type === 'ExternalName') return;
    const pods = this.store.snapshot('pods', namespace, (p) => mapSelectorMatches(svc.spec.selector, p.metadata.labels));
    this.members.set(key, new Set(pods.map((p) => p.metadata.name!)));
    this.writeEndpoints(svc, pods);
    this.writeSlices(svc, pods);
  }

  private podChanged(pod: KObject): void {
    const ns = pod.metadata.namespace!;
    for (const svc of this.store.snapshot('services', ns, (s) => mapSelectorMatches(s.spec?.selector, pod.metadata.labels))) {
      this.queue.add(keyOf(svc));
    }
    for (const [key, names] of this.members) if (names.has(pod.metadata.name!) && key.startsWith(`${ns}/`)) this.queue.add(key);
  }

  private serviceGone(key: string): void {
    const { namespace, name } = splitKey(key);
    this.members.delete(key);
    if (this.store.peek('endpoints', namespace, name)) this.deleteQuietly('endpoints', namespace, name);
    for (const slice of this.managedSlices(namespace, name)) this.deleteQuietly(SLICES, namespace, slice.metadata.name!);
  }

  private writeEndpoints(svc: KObject, pods: KObject[]): void {
    const { namespace, name } = svc.metadata;
    const subsets = endpointSubsets(svc, pods);
    const labels = endpointsLabels(svc);
    const existing = this.store.peek('endpoints', namespace, name!);
    if (!existing) {
      this.store.create('endpoints', namespace, {
        apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, ...(labels ? { labels } : {}) }, ...(subsets.length ? { subsets } : {}),
      });
      return;
    }
    this.store.mutate('endpoints', namespace, name!, (draft) => {
      if (isDeepStrictEqual(draft.subsets ?? [], subsets) && isDeepStrictEqual(draft.metadata.labels, labels)) return false;
      if (subsets.length) draft.subsets = subsets;
      else delete draft.subsets;
      if (labels) draft.metadata.labels = labels;
      else delete draft.metadata.labels;
    });
  }

  private writeSlices(svc: KObject, pods: KObject[]): void {
    const { namespace } = svc.metadata;
    const labels = sliceLabels(svc);
    const ownerReferences = [newControllerRef(svc)];
    const wanted = sliceContents(svc, pods);
    for (const content of wanted) {
      const body = { addressType: 'IPv4', endpoints: content.endpoints, ...(content.ports.length ? { ports: content.ports } : {}) };
      if (!this.store.peek(SLICES, namespace, content.name)) {
        this.store.create(SLICES, namespace, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: content.name, namespace, labels, ownerReferences }, ...body });
        continue;
      }
      this.store.mutate(SLICES, namespace, content.name, (draft) => {
        const same = isDeepStrictEqual(draft.metadata.labels, labels) && isDeepStrictEqual(draft.metadata.ownerReferences, ownerReferences)
          && draft.addressType === body.addressType && isDeepStrictEqual(draft.endpoints ?? [], body.endpoints) && isDeepStrictEqual(draft.ports, body.ports);
        if (same) return false;
        Object.assign(draft, body);
        if (!body.ports) delete draft.ports;
        draft.metadata.labels = labels;
        draft.metadata.ownerReferences = ownerReferences;
      });
    }
    const names = new Set(wanted.map((c) => c.name));
    for (const stale of this.managedSlices(namespace!, svc.metadata.name!)) {
      if (!names.has(stale.metadata.name!)) this.deleteQuietly(SLICES, namespace, stale.metadata.name!);
    }
  }

  private managedSlices(namespace: string, service: string): KObject[] {
    return this.store.snapshot(SLICES, namespace, (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
  }

  private deleteQuietly(resourceKey: string, namespace: string | undefined, name: string): void {
    try {
      this.store.delete(resourceKey, namespace, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}
