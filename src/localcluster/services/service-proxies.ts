import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import { ServiceProxy, type Backend, type Gate } from '../network/index.js';
import type { Store } from '../store/index.js';
import { hostPortFor, lowestBindablePort, PROXY_PORTS_ANNOTATION } from './host-ports.js';

/**
 * The private address behind a pod's ingress gate for `podIP:port`, when that port is gated: the
 * Service proxy, which has applied NetworkPolicy already with the same engine, connects there
 * directly rather than through the gate (one hop and one decision less).
 */
export type PrivateAddress = (podIP: string, port: number) => string | undefined;

export interface ServiceProxiesOptions {
  /**
   * How long an Endpoints change takes to reach the proxies (default 0): on a real cluster the
   * EndpointSlice goes through the API server to every node's kube-proxy, which rewrites its rules
   * in its next sync, 0.1–2 s in all. Meanwhile a terminating pod, whose SIGTERM is on its way at the
   * same moment, still gets new connections, and a new ready pod gets none yet.
   */
  propagationDelayMs?: number;
  clock?: Clock;
}

interface PortProxy {
  name: string | undefined;
  port: number;
  nodePort: number | undefined;
  proxy: ServiceProxy;
}

interface ServiceEntry {
  uid: string;
  clusterIP: string;
  /** the ports spec this entry was built from: a change rebuilds the proxies */
  signature: string;
  ports: PortProxy[];
  ready: Promise<void>;
}

/**
 * kube-proxy for the embedded cluster: one ServiceProxy per Service port, listening on the Service's
 * ClusterIP (a loopback address of its own), and on 127.0.0.1:<nodePort> for NodePort/LoadBalancer
 * Services; backends follow the Endpoints objects the endpoints controller writes.
 */
export class ServiceProxies {
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly stops: (() => void)[] = [];
  private readonly lowest = lowestBindablePort();
  /** ends the propagation delays still running at stop() */
  private readonly stopped = new AbortController();
  private readonly propagationDelayMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Store, private readonly log: Logger, private readonly gate?: Gate, private readonly privateAddress?: PrivateAddress,
    options: ServiceProxiesOptions = {},
  ) {
    this.propagationDelayMs = options.propagationDelayMs ?? 0;
    this.clock = options.clock ?? systemClock;
    // one listener per Endpoints change in flight: a rollout has dozens at once
    setMaxListeners(Infinity, this.stopped.signal);
  }

  start(): void {
    this.stops.push(this.store.watch('services', undefined, {}, (e) => {
      if (e.type === 'DELETED') void this.remove(key(e.object));
      else if (e.type === 'ADDED' || e.type === 'MODIFIED') void this.ensure(e.object);
    }));
    this.stops.push(this.store.watch('endpoints', undefined, {}, (e) => {
      if (e.type !== 'BOOKMARK') this.propagate(key(e.object));
    }));
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    for (const s of this.stops.splice(0)) s();
    const all = [...this.entries.keys()];
    await Promise.all(all.map((k) => this.remove(k)));
  }

  /** Where a Service port is reachable from the host (its ClusterIP), once its proxy listens. */
  async address(namespace: string, name: string, port?: number | string): Promise<{ host: string; port: number; nodePort?: number } | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    await entry.ready;
    const p = port === undefined ? entry.ports[0] : entry.ports.find((x) => x.port === Number(port) || x.name === port);
    if (!p) return undefined;
    return { host: entry.clusterIP, port: hostPortFor(p.port, this.lowest), ...(p.nodePort ? { nodePort: p.nodePort } : {}) };
  }

  /** The proxies of every Service (for NetworkPolicy gates and statistics). */
  proxies(): ServiceProxy[] {
    return [...this.entries.values()].flatMap((e) => e.ports.map((p) => p.proxy));
  }

  private async ensure(svc: KObject): Promise<void> {
    const k = key(svc);
    const clusterIP: string | undefined = svc.spec?.clusterIP;
    if (!clusterIP || clusterIP === 'None') return this.remove(k);
    const signature = JSON.stringify([clusterIP, svc.spec.ports, svc.metadata.uid]);
    const existing = this.entries.get(k);
    if (existing && existing.signature === signature && existing.uid === svc.metadata.uid) return;
    if (existing) await this.remove(k);
    const ports: PortProxy[] = (svc.spec.ports ?? []).map((p: any) => ({
      name: p.name, port: p.port, nodePort: p.nodePort, proxy: new ServiceProxy({ log: this.log, ...(this.gate ? { gate: this.gate } : {}) }),
    }));
    const remapped = ports.filter((p) => hostPortFor(p.port, this.lowest) !== p.port).map((p) => `${p.port}:${hostPortFor(p.port, this.lowest)}`).join(',');
    if (remapped && svc.metadata.annotations?.[PROXY_PORTS_ANNOTATION] !== remapped) {
      this.store.mutate('services', svc.metadata.namespace, svc.metadata.name!, (d) => {
        d.metadata.annotations = { ...d.metadata.annotations, [PROXY_PORTS_ANNOTATION]: remapped };
      });
    }
    const ready = (async () => {
      for (const p of ports) {
        await p.proxy.listen(clusterIP, hostPortFor(p.port, this.lowest));
        if (p.nodePort) await p.proxy.listen('127.0.0.1', p.nodePort);
      }
    })();
    const entry: ServiceEntry = { uid: svc.metadata.uid!, clusterIP, signature, ports, ready };
    this.entries.set(k, entry);
    try {
      await ready;
      this.log.debug({ service: k, clusterIP, ports: ports.map((p) => p.port) }, 'service proxy listening');
    } catch (err) {
      this.log.error({ err, service: k }, 'service proxy could not listen');
    }
    await this.updateBackends(k);
  }

  /**
   * An Endpoints change, as the proxies see it `propagationDelayMs` later: the backends are read now
   * and set then, so that changes arrive in order, each as late as the others.
   */
  private propagate(k: string): void {
    const update = this.backendsOf(k);
    if (this.propagationDelayMs <= 0) return update();
    this.clock.sleep(this.propagationDelayMs, this.stopped.signal).then(update, () => undefined);
  }

  private async updateBackends(k: string): Promise<void> {
    this.backendsOf(k)();
  }

  /** The backends of each port of Service `k` now, as a function that sets them on its proxies (if they are still its). */
  private backendsOf(k: string): () => void {
    const entry = this.entries.get(k);
    if (!entry) return () => undefined;
    const [ns, name] = k.split('/') as [string, string];
    const ep = this.store.peek('endpoints', ns, name);
    const svc = this.store.peek('services', ns, name);
    const backends = entry.ports.map((p) => backendsFor(ep, p, svc).map((b) => {
      const host = this.privateAddress?.(b.ip, b.port);
      return host ? { ...b, dial: { host, port: b.port } } : b;
    }));
    return () => {
      if (this.entries.get(k) !== entry) return; // the Service was rebuilt or removed meanwhile
      entry.ports.forEach((p, i) => p.proxy.setBackends(backends[i]!));
    };
  }

  private async remove(k: string): Promise<void> {
    const entry = this.entries.get(k);
    if (!entry) return;
    this.entries.delete(k);
    await entry.ready.catch(() => undefined);
    await Promise.all(entry.ports.map((p) => p.proxy.close()));
  }
}

function key(obj: KObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** The ready addresses of an Endpoints object for one Service port (matched by port name). */
function backendsFor(ep: KObject | undefined, port: PortProxy, svc: KObject | undefined): Backend[] {
  const out: Backend[] = [];
  const single = (svc?.spec?.ports?.length ?? 0) <= 1;
  for (const subset of (ep?.subsets ?? []) as any[]) {
    const epPort = (subset.ports ?? []).find((p: any) => (p.name ?? '') === (port.name ?? '')) ?? (single ? subset.ports?.[0] : undefined);
    if (!epPort) continue;
    for (const a of subset.addresses ?? []) out.push({ ip: a.ip, port: epPort.port, ...(a.targetRef?.name ? { name: a.targetRef.name } : {}) });
  }
  return out;
}
