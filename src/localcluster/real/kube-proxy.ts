import type { Server, Socket } from 'node:net';
import { CoreV1Api, DiscoveryV1Api, makeInformer, PatchStrategy, setHeaderOptions, type Informer, type KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../core/index.js';
import { LOOPBACK_ADDRESS_ANNOTATION } from '../../kube/index.js';
import { AddressPool, ServiceProxy, type Backend } from '../network/index.js';


/** Where kube-proxy listens and dials: the root namespace's loopback, the hub and the nodes of the fabric. */
export interface ProxyNetwork {
  /** A server on host:port in the hub namespace (ClusterIPs live there). */
  listenInHub(host: string, port: number): Promise<Server>;
  /** Adds a ClusterIP to the hub, so pods reach it; removes it when the Service goes. */
  addClusterIP(ip: string): Promise<void>;
  removeClusterIP(ip: string): Promise<void>;
  /** A connection to a pod address, made from the hub namespace. */
  dial(host: string, port: number): Promise<Socket>;
  /** The nodes' own addresses, for NodePorts: the fabric address (in the node namespace) and the loopback one. */
  nodes(): Array<{ listen(port: number): Promise<Server>; loopback: string }>;
}

interface PortEntry {
  name: string | undefined;
  port: number;
  nodePort: number | undefined;
  proxy: ServiceProxy;
}

interface ServiceEntry {
  signature: string;
  clusterIP: string;
  loopback: string;
  ports: PortEntry[];
  ready: Promise<void>;
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * kube-proxy of the real-control-plane mode, in userspace as kube-proxy's historical userspace mode: for
 * each Service port a ServiceProxy listening on its ClusterIP inside the hub namespace (what pods dial),
 * on a loopback address of its own in the root namespace (what load generators on this machine dial,
 * told to crt through the `crt.io/loopback-address` annotation), and for NodePorts on every node's
 * address and on 127.0.0.1. Backends are the ready endpoints of the Service's EndpointSlices, which the
 * real EndpointSlice controller writes. Hand-written because the real kube-proxy programs iptables or
 * nftables, which this machine's namespaces could hold, but then nothing in the root namespace could reach
 * a Service without an address of the fabric, which the root namespace must never hold.
 */
export class ApiServiceProxies {
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly slices = new Map<string, V1EndpointSlice>();
  private readonly pool = new AddressPool('127.20.0.0/16');
  private readonly core: CoreV1Api;
  private services: Informer<V1Service> | undefined;
  private endpointSlices: Informer<V1EndpointSlice> | undefined;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly kc: KubeConfig, private readonly net: ProxyNetwork, log?: Logger) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.log = (log ?? silentLogger).child({ component: 'kube-proxy' });
  }

  async start(): Promise<void> {
    const core = this.core;
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    this.services = makeInformer(this.kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
    this.endpointSlices = makeInformer(this.kc, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
    const serial = (fn: () => Promise<void>): void => {
      this.chain = this.chain.then(fn).catch((err: unknown) => this.log.error({ err }, 'kube-proxy update failed'));
    };
    for (const informer of [this.services, this.endpointSlices] as Informer<any>[]) {
      informer.on('error', (err: unknown) => {
        this.log.warn({ err }, 'kube-proxy watch failed; restarting it');
        setTimeout(() => void informer.start().catch(() => undefined), 1000).unref();
      });
    }
    this.services.on('add', (s) => serial(() => this.ensure(s)));
    this.services.on('update', (s) => serial(() => this.ensure(s)));
    this.services.on('delete', (s) => serial(() => this.remove(key(s))));
    const sliceChanged = (s: V1EndpointSlice, gone = false): void => {
      const id = `${s.metadata?.namespace}/${s.metadata?.name}`;
      if (gone) this.slices.delete(id);
      else this.slices.set(id, s);
      const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
      if (svc) serial(async () => this.updateBackends(`${s.metadata?.namespace}/${svc}`));
    };
    this.endpointSlices.on('add', (s) => sliceChanged(s));
    this.endpointSlices.on('update', (s) => sliceChanged(s));
    this.endpointSlices.on('delete', (s) => sliceChanged(s, true));
    await Promise.all([this.services.start(), this.endpointSlices.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.services?.stop(), this.endpointSlices?.stop()]);
    await this.chain;
    await Promise.all([...this.entries.keys()].map((k) => this.remove(k)));
  }

  /** Where a Service port is reachable from this machine, once its proxy listens. */
  async address(namespace: string, name: string, port?: number | string): Promise<{ host: string; port: number; nodePort?: number } | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    await entry.ready;
    const p = port === undefined ? entry.ports[0] : entry.ports.find((x) => x.port === Number(port) || x.name === port);
    if (!p) return undefined;
    return { host: entry.loopback, port: p.port, ...(p.nodePort ? { nodePort: p.nodePort } : {}) };
  }

  /** How many backends each port of a Service has now (what "routed" means for availability). */
  backends(namespace: string, name: string): number[] | undefined {
    return this.entries.get(`${namespace}/${name}`)?.ports.map((p) => p.proxy.backendCount);
  }

  private async ensure(svc: V1Service): Promise<void> {
    const k = key(svc);
    const clusterIP = svc.spec?.clusterIP;
    const ports = (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
    const signature = JSON.stringify([clusterIP, ports.map((p) => [p.name, p.port, p.nodePort])]);
    const existing = this.entries.get(k);
    if (existing?.signature === signature) return;
    if (existing) await this.remove(k);
    if (!clusterIP || clusterIP === 'None' || ports.length === 0) return;
    const loopback = this.pool.allocate();
    const entry: ServiceEntry = {
      signature, clusterIP, loopback,
      ports: ports.map((p) => ({ name: p.name, port: p.port, nodePort: p.nodePort, proxy: new ServiceProxy({ log: this.log, dial: (host, port) => this.net.dial(host, port) }) })),
      ready: Promise.resolve(),
    };
    this.entries.set(k, entry);
    entry.ready = (async () => {
      await this.net.addClusterIP(clusterIP);
      for (const p of entry.ports) {
        p.proxy.adopt(await this.net.listenInHub(clusterIP, p.port));
        await p.proxy.listen(loopback, p.port);
        if (p.nodePort) {
          await p.proxy.listen('127.0.0.1', p.nodePort);
          for (const node of this.net.nodes()) {
            await p.proxy.listen(node.loopback, p.nodePort);
            p.proxy.adopt(await node.listen(p.nodePort));
          }
        }
      }
      this.updateBackends(k);
      await this.core.patchNamespacedService({
        namespace: svc.metadata!.namespace!, name: svc.metadata!.name!, body: { metadata: { annotations: { [LOOPBACK_ADDRESS_ANNOTATION]: loopback } } },
      }, mergePatch()).catch((err: unknown) => this.log.warn({ err, service: k }, 'could not annotate the Service with its loopback address'));
    })();
    await entry.ready.catch((err: unknown) => this.log.error({ err, service: k }, 'kube-proxy could not listen for a Service'));
  }

  private updateBackends(k: string): void {
    const entry = this.entries.get(k);
    if (!entry) return;
    const [namespace, name] = k.split('/') as [string, string];
    const slices = [...this.slices.values()].filter((s) => s.metadata?.namespace === namespace && s.metadata?.labels?.['kubernetes.io/service-name'] === name);
    for (const p of entry.ports) {
      const backends: Backend[] = [];
      for (const slice of slices) {
        if (slice.addressType !== 'IPv4') continue;
        const sp = (slice.ports ?? []).find((x) => (x.name ?? '') === (p.name ?? '')) ?? (entry.ports.length === 1 ? slice.ports?.[0] : undefined);
        if (!sp?.port) continue;
        for (const e of slice.endpoints ?? []) {
          // kube-proxy sends new connections to ready endpoints only (terminating ones keep what they have)
          if (e.conditions?.ready === false) continue;
          for (const ip of e.addresses) backends.push({ ip, port: sp.port, ...(e.targetRef?.name ? { name: e.targetRef.name } : {}) });
        }
      }
      p.proxy.setBackends(backends);
    }
  }

  private async remove(k: string): Promise<void> {
    const entry = this.entries.get(k);
    if (!entry) return;
    this.entries.delete(k);
    await entry.ready.catch(() => undefined);
    await Promise.all(entry.ports.map((p) => p.proxy.close()));
    this.pool.release(entry.loopback);
    await this.net.removeClusterIP(entry.clusterIP).catch(() => undefined);
  }
}

function key(svc: V1Service): string {
  return `${svc.metadata?.namespace}/${svc.metadata?.name}`;
}
