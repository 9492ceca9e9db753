import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { EnvironmentError, UsageError, errorMessage, silentLogger, type Logger } from '../../core/index.js';
import { deploymentDone, type AppliedObject, type AvailabilityOptions } from '../store/index.js';
import { CONTROL_PLANE_SWITCH_ANNOTATION, NODE_SWITCH_ANNOTATION } from '../../kube/index.js';
import { ApiError } from '../api/index.js';
import { nodeLinkEndpoint, nodePowerEndpoint } from '../apiserver/index.js';
import { ControlPlane } from '../controlplane/index.js';
import { installKubernetes } from '../install/index.js';
import { ApiKubelet, KUBELET_PORT } from '../kubelet/index.js';
import { Fabric, forwardFromLoopback, HUB_ADDRESS, netnsSupport, type LoopbackForward } from '../netns/index.js';
import { checkNodeTimings, nodeTimingsOf, type NodeTimings } from '../../vocabulary/index.js';
import type { BackoffOptions } from '../runtime/index.js';
import { AggregatedMetrics, metricsServiceDnsNames } from '../metricsserver/index.js';
import type { CniProfile } from '../network/index.js';
import { controlPlaneEndpoint } from './control-plane-switch.js';
import { ApiServiceProxies } from './kube-proxy.js';
import { NodeFirewalls } from './node-firewalls.js';
import { RealNode } from './real-node.js';


export interface RealClusterOptions {
  nodes?: number;
  stateDir: string;
  keepState?: boolean;
  log?: Logger;
  /** the folder of the Kubernetes binaries (default: crt cluster install's cache, installed if missing) */
  binDir?: string;
  heartbeatMs?: number;
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  defaultTolerationSeconds?: number;
  hpaSyncPeriodMs?: number;
  /** the API server's etcd compaction interval (default 5 min): see ControlPlaneOptions */
  etcdCompactionIntervalMs?: number;
  /** false: no watch cache in the API server (see ControlPlaneOptions) */
  watchCache?: boolean;
  /** the controller-manager's --horizontal-pod-autoscaler-downscale-stabilization (default 5 min; tests shorten it) */
  hpaDownscaleStabilizationMs?: number;
  /** how often crt's metrics-server scrapes the kubelets (metrics-server's --metric-resolution, default 15 s) */
  metricsResolutionMs?: number;
  backoff?: BackoffOptions;
  /** what a NetworkPolicy does to the established connections it starts denying (default keep) */
  cni?: CniProfile;
  /** etcd's members (default 1; 3 lets a control-plane fault stop one member, or two to lose the quorum) */
  etcdMembers?: 1 | 3;
  onProgress?: (line: string) => void;
}

const ZONES = 'abcdefghijklmnopqrstuvwxyz';
const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The embedded cluster on the real control plane (`controlPlane: kubernetes`): etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler of the pinned release run as child processes in the hub
 * namespace of a fabric of network namespaces (198.18.0.0/15, never in the root namespace); crt plays
 * only the node roles, as API clients: a kubelet per node (pods are processes in the node's namespace,
 * on addresses of the node's podCIDR, which the real node IPAM controller allots), kube-proxy, and
 * metrics-server (metrics.k8s.io through the aggregation layer, from the pods' process CPU and memory). The
 * API server is reached from this machine through a loopback forward, which the kubeconfig names.
 */
export class RealCluster {
  readonly nodes: RealNode[] = [];
  private fabric: Fabric | undefined;
  private controlPlane: ControlPlane | undefined;
  private readonly forwards: LoopbackForward[] = [];
  private proxies: ApiServiceProxies | undefined;
  private metrics: AggregatedMetrics | undefined;
  private firewalls: NodeFirewalls | undefined;
  private switches: http.Server | undefined;
  private switchUrl = '';
  private readonly servers: Server[] = [];
  private apiUrl = '';
  private kubeconfigFile = '';
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private timings: NodeTimings;
  private binDir = '';

  constructor(private readonly opts: RealClusterOptions) {
    this.log = opts.log ?? silentLogger;
    this.timings = nodeTimingsOf(opts);
  }

  /** The API server's URL on this machine (a loopback forward into the hub namespace). */
  get url(): string {
    return this.apiUrl;
  }

  /** The admin kubeconfig (system:masters) with the loopback URL. */
  get kubeconfig(): string {
    return this.kubeconfigFile;
  }

  /** Where crt's power and link switches of the nodes answer (`<base>/crt/v1/nodes/<node>/power`). */
  get switchBase(): string {
    return this.switchUrl;
  }

  get nodeTimings(): NodeTimings {
    return { ...this.timings };
  }

  /**
   * New node-failure detection while the cluster runs (a case's `clusterSettings:`), as an operator
   * would set it: kube-controller-manager restarted with the new --node-monitor-period and
   * --node-monitor-grace-period, crt's kubelets taking the new heartbeat (and a lease four heartbeats
   * long) while it is down, and kube-apiserver restarted only when the default toleration seconds
   * change (pods created before keep the tolerations they were admitted with, as in Kubernetes).
   * `partial` goes over the timings in effect; a UsageError, with nothing changed, when they are
   * inconsistent. Takes a few seconds (the restarts); the API answers nothing while the API server restarts.
   */
  async setNodeTimings(partial: Partial<NodeTimings>): Promise<NodeTimings> {
    const cp = this.controlPlane;
    if (!cp) throw new UsageError('setNodeTimings: the cluster is not started');
    const next: NodeTimings = { ...this.timings, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
    checkNodeTimings(next);
    await cp.reconfigure(
      { nodeMonitorGracePeriodMs: next.nodeMonitorGracePeriodMs, nodeMonitorPeriodMs: next.nodeMonitorPeriodMs, defaultTolerationSeconds: next.defaultTolerationSeconds },
      async () => {
        for (const n of this.nodes) n.kubelet.setHeartbeat(next.heartbeatMs, leaseSecondsFor(next.heartbeatMs));
      },
    );
    this.timings = next;
    this.log.info({ timings: next }, 'node timings changed (controller-manager restarted)');
    return { ...next };
  }

  async start(): Promise<string> {
    const progress = this.opts.onProgress ?? (() => {});
    const support = await netnsSupport();
    if (!support.ok) {
      throw new EnvironmentError(`the real control plane needs network namespaces of its own: ${support.why}`, { hint: 'run crt as root, or use --control-plane builtin' });
    }
    await NodeFirewalls.check();
    await mkdir(this.opts.stateDir, { recursive: true });
    this.binDir = this.opts.binDir ?? (await installKubernetes({ onProgress: progress })).bin;
    const id = `r${randomBytes(4).toString('hex')}`;
    const fabric = (this.fabric = await Fabric.create({ id, log: this.log.child({ component: 'netns' }) }));
    const t = this.timings;
    const cp = (this.controlPlane = new ControlPlane({
      binDir: this.binDir, stateDir: path.join(this.opts.stateDir, 'control-plane'), clusterDir: this.opts.stateDir, log: this.log,
      bindHost: HUB_ADDRESS, wrap: (file, args) => fabric.hub.command(file, args), onProgress: progress,
      // this process is in the root namespace, which never holds a fabric address: it goes through loopback forwards
      reach: async (host, port) => {
        const f = await forwardFromLoopback(fabric.hub, host, port);
        this.forwards.push(f);
        return { host: f.host, port: f.port };
      },
      nodeMonitorGracePeriodMs: t.nodeMonitorGracePeriodMs, nodeMonitorPeriodMs: t.nodeMonitorPeriodMs, defaultTolerationSeconds: t.defaultTolerationSeconds,
      ...(this.opts.hpaSyncPeriodMs ? { hpaSyncPeriodMs: this.opts.hpaSyncPeriodMs } : {}),
      ...(this.opts.etcdCompactionIntervalMs ? { etcdCompactionIntervalMs: this.opts.etcdCompactionIntervalMs } : {}),
      ...(this.opts.watchCache === false ? { watchCache: false } : {}),
      ...(this.opts.hpaDownscaleStabilizationMs !== undefined ? { hpaDownscaleStabilizationMs: this.opts.hpaDownscaleStabilizationMs } : {}),
      ...(this.opts.keepState ? { keepState: true } : {}),
      ...(this.opts.etcdMembers ? { etcdMembers: this.opts.etcdMembers } : {}),
    }));
    const endpoint = await cp.start();
    this.apiUrl = endpoint.url;
    this.kubeconfigFile = endpoint.adminKubeconfig;
    this.firewalls = new NodeFirewalls({ kubeconfig: this.adminConfig(), fabricId: id, cni: this.opts.cni ?? 'keep', log: this.log });
    const count = this.opts.nodes ?? 3;
    for (let i = 1; i <= count; i++) await this.addNode(i, cp, fabric);
    progress(`real control plane: ${count} node${count === 1 ? '' : 's'} registered`);
    await this.firewalls.start();
    const kc = this.adminConfig();
    this.proxies = new ApiServiceProxies(kc, {
      listenInHub: (host, port) => this.keep(fabric.hub.listen(host, port)),
      addClusterIP: (ip) => fabric.hub.addAddress(ip),
      removeClusterIP: (ip) => fabric.hub.removeAddress(ip),
      dial: (host, port) => fabric.hub.connect(host, port),
      nodes: () => this.nodes.map((n) => ({ loopback: n.loopback, listen: (port: number) => this.keep(n.netns.listen(n.netns.address, port)) })),
    }, this.log);
    await this.proxies.start();
    await this.serveSwitches(kc);
    await this.waitNodesReady(60_000);
    const metricsFromMs = Date.now();
    await this.serveMetrics(cp, fabric, kc);
    progress(`real control plane: metrics.k8s.io available in ${((Date.now() - metricsFromMs) / 1000).toFixed(1)} s (crt's metrics-server, APIService v1beta1.metrics.k8s.io)`);
    this.log.info({ url: this.apiUrl, nodes: count }, 'embedded cluster on the real control plane started');
    return this.apiUrl;
  }

  private async addNode(i: number, cp: ControlPlane, fabric: Fabric): Promise<void> {
    const name = `node-${i}`;
    const ns = await fabric.addNode(i);
    const creds = await cp.nodeCredentials(name, [ns.address]);
    const loopback = `127.1.0.${i}`;
    const firewalls = this.firewalls!;
    await firewalls.addNode({ name, netns: ns });
    const network = firewalls.podHooks(name, { wrap: (file, args) => ns.command(file, args), addAddress: (ip) => ns.addAddress(ip), removeAddress: (ip) => ns.removeAddress(ip) });
    const kubelet = new ApiKubelet({
      kubeconfig: creds.kubeconfig, stateDir: this.opts.stateDir, log: this.log.child({ node: name }),
      node: { name, ip: ns.address, externalIP: loopback, zone: `zone-${ZONES[(i - 1) % ZONES.length]}` },
      heartbeatMs: this.timings.heartbeatMs,
      // the lease is renewed every quarter of its duration: as often as the status heartbeat
      leaseDurationSeconds: leaseSecondsFor(this.timings.heartbeatMs),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      pods: { ...network, dial: (host, port) => ns.connect(host, port) },
      serve: async (server) => {
        const listener = await this.keep(ns.listen(ns.address, KUBELET_PORT));
        listener.on('connection', (socket) => server.emit('connection', socket));
      },
      tls: { certPem: creds.servingCertPem, keyPem: creds.servingKeyPem, clientCaPem: creds.caPem },
    });
    await kubelet.start();
    this.nodes.push(new RealNode(kubelet, ns, loopback));
  }

  /** crt's metrics-server, listening in the hub (where the API server dials it) and registered as an APIService. */
  private async serveMetrics(cp: ControlPlane, fabric: Fabric, kc: KubeConfig): Promise<void> {
    this.metrics = new AggregatedMetrics({
      kubeconfig: kc, address: HUB_ADDRESS, listen: () => fabric.hub.listen(HUB_ADDRESS, 0),
      tls: await cp.servingCertificate(metricsServiceDnsNames()), log: this.log,
      nodes: () => this.nodes.map((n) => ({ name: n.name, online: () => n.power.state === 'on' && n.link.state === 'up', podUsage: () => n.kubelet.podUsage() })),
      ...(this.opts.metricsResolutionMs ? { resolutionMs: this.opts.metricsResolutionMs } : {}),
    });
    await this.metrics.start();
  }

  private async keep(server: Promise<Server>): Promise<Server> {
    const s = await server;
    this.servers.push(s);
    return s;
  }

  private adminConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigFile);
    return kc;
  }

  /**
   * crt's power and link switches of the nodes, and its switch of the control plane's processes, on
   * loopback; each Node's annotation names them, and Namespace kube-system's names the latter.
   */
  private async serveSwitches(kc: KubeConfig): Promise<void> {
    const handlers = [nodePowerEndpoint(this.nodes), nodeLinkEndpoint(this.nodes), controlPlaneEndpoint(this.controlPlane!)];
    const server = (this.switches = http.createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        for (const h of handlers) if (await h(url, req, res)) return;
        throw new ApiError(404, 'NotFound', `no switch at ${url.pathname}`);
      })().catch((err: unknown) => {
        const status = err instanceof ApiError ? err.toStatus() : { kind: 'Status', status: 'Failure', message: errorMessage(err), code: 500 };
        if (!res.headersSent) res.writeHead(status.code ?? 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status));
      });
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = (this.switchUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const core = kc.makeApiClient(CoreV1Api);
    for (const n of this.nodes) {
      await core.patchNode({ name: n.name, body: { metadata: { annotations: { [NODE_SWITCH_ANNOTATION]: base } } } }, mergePatch());
    }
    await core.patchNamespace({ name: 'kube-system', body: { metadata: { annotations: { [CONTROL_PLANE_SWITCH_ANNOTATION]: base } } } }, mergePatch());
  }

  private async waitNodesReady(timeoutMs: number): Promise<void> {
    const core = this.adminConfig().makeApiClient(CoreV1Api);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nodes = (await core.listNode()).items;
      const notReady = this.nodes.filter((n) => !nodes.some((o) => o.metadata?.name === n.name && o.spec?.podCIDR
        && o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
      if (notReady.length === 0) return;
      if (Date.now() > deadline) throw new EnvironmentError(`nodes not Ready with a podCIDR after ${timeoutMs / 1000} s: ${notReady.map((n) => n.name).join(', ')}`, { hint: `see ${this.opts.stateDir}/control-plane/logs` });
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Applies manifest files with the release's own kubectl (namespaces first, as kubectl orders them). */
  async applyFiles(files: string[]): Promise<AppliedObject[]> {
    const out: AppliedObject[] = [];
    for (const file of files) {
      const r = await promisify(execFile)(path.join(this.binDir, 'kubectl'), ['--kubeconfig', this.kubeconfigFile, 'apply', '-f', file], { timeout: 60_000 })
        .catch((err: { stderr?: string; message: string }) => {
          throw new EnvironmentError(`kubectl apply -f ${file} failed: ${(err.stderr || err.message).trim()}`, { hint: 'the real API server validates as a real cluster does' });
        });
      for (const line of r.stdout.split('\n')) {
        const m = /^([a-z0-9.-]+)\/(\S+) (created|configured|unchanged)/.exec(line.trim());
        if (m) out.push({ kind: m[1]!.split('.')[0]!, name: m[2]!, action: m[3] as AppliedObject['action'] });
      }
    }
    return out;
  }

  /**
   * Resolves when every Deployment (of the given namespaces) is rolled out and available, and kube-proxy
   * routes every Service of those namespaces to at least one backend.
   */
  async waitUntilAvailable(opts: AvailabilityOptions): Promise<void> {
    const kc = this.adminConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const deadline = Date.now() + opts.timeoutMs;
    const inScope = (ns: string | undefined): boolean => !opts.namespaces || opts.namespaces.includes(ns ?? '');
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const pending = (await apps.listDeploymentForAllNamespaces()).items.filter((d) => inScope(d.metadata?.namespace) && !deploymentDone(d as never));
      const services = (await core.listServiceForAllNamespaces()).items.filter((s) => inScope(s.metadata?.namespace) && s.spec?.selector && s.spec.clusterIP !== 'None');
      const unrouted = services.filter((s) => !(this.proxies?.backends(s.metadata!.namespace!, s.metadata!.name!) ?? []).some((n) => n > 0));
      if (pending.length === 0 && unrouted.length === 0) return;
      if (Date.now() > deadline) {
        const names = [
          ...pending.map((d) => `${d.metadata?.namespace}/${d.metadata?.name} (${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available)`),
          ...unrouted.map((s) => `service ${s.metadata?.namespace}/${s.metadata?.name} (no backend)`),
        ];
        throw new EnvironmentError(`the embedded cluster's deployments are not available after ${Math.round(opts.timeoutMs / 1000)} s: ${names.join(', ')}`,
          { hint: `look at \`kubectl --kubeconfig ${this.kubeconfigFile} get pods -A\` and \`get events -A\`` });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The id of the cluster's network fabric (its namespaces are `crt-<id>-hub`, `crt-<id>-n<i>`), once started. */
  get fabricId(): string | undefined {
    return this.fabric?.id;
  }

  serviceAddress(namespace: string, name: string, port?: number | string): Promise<{ host: string; port: number; nodePort?: number } | undefined> {
    return this.proxies!.address(namespace, name, port);
  }

  node(name: string): RealNode | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  /** Process ids of every pod container now running. */
  pids(): number[] {
    return this.nodes.flatMap((n) => n.pids());
  }

  /** The NetworkPolicy decisions the node namespaces' nftables rules were computed from (for diagnostics and tests). */
  get policies(): NodeFirewalls | undefined {
    return this.firewalls;
  }

  /** Process ids of the control plane's programs. */
  controlPlanePids(): number[] {
    return this.controlPlane?.pids ?? [];
  }

  /** Stops pods, kube-proxy, the kubelets, the control plane and the fabric; removes the state unless keepState. Idempotent. */
  stop(graceCapSec = 5): Promise<void> {
    this.stopping ??= (async () => {
      await this.metrics?.stop().catch((err: unknown) => this.log.warn({ err }, 'metrics-server stop failed'));
      await this.proxies?.stop().catch((err: unknown) => this.log.warn({ err }, 'kube-proxy stop failed'));
      await Promise.all(this.nodes.map((n) => n.kubelet.stop(graceCapSec)));
      await this.firewalls?.stop().catch((err: unknown) => this.log.warn({ err }, 'network policy teardown failed'));
      await new Promise<void>((resolve) => (this.switches ? this.switches.close(() => resolve()) : resolve()));
      for (const s of this.servers.splice(0)) s.close();
      await this.controlPlane?.stop();
      await Promise.all(this.forwards.splice(0).map((f) => f.close()));
      await this.fabric?.close();
      if (!this.opts.keepState) await rm(this.opts.stateDir, { recursive: true, force: true });
      this.log.info('embedded cluster on the real control plane stopped');
    })();
    return this.stopping;
  }
}

/** The node Lease's duration for a status heartbeat: renewed every quarter of it, as often as the status is posted. */
function leaseSecondsFor(heartbeatMs: number): number {
  return Math.max(1, Math.ceil((4 * heartbeatMs) / 1000));
}
