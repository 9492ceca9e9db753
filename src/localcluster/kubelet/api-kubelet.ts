import { mkdir } from 'node:fs/promises';
import type https from 'node:https';
import { CoordinationV1Api, VersionApi, type CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { EnvironmentError, silentLogger, systemClock, type Clock, type Logger } from '../../core/index.js';
import { apiMessage, kubeClients } from '../../kube/index.js';
import type { KObject } from '../api/index.js';
import { ClusterLogs } from '../apiserver/index.js';
import type { BackoffOptions, ContainerUsage } from '../runtime/index.js';
import { ConfigLookups } from './config-lookup.js';
import { KubeletEvents } from './kubelet-events.js';
import { KubeletPods, type PodNetworkHooks } from './kubelet-pods.js';
import { kubeletServer } from './kubelet-server.js';
import { KUBELET_PORT, NodeReporter, type NodeIdentity } from './node-reporter.js';
import { PodAddresses } from './pod-ips.js';
import { PodWatch } from './pod-watch.js';

export interface ApiKubeletOptions {
  /** A kubeconfig file with the node's own credentials. */
  kubeconfig: string;
  node: NodeIdentity;
  /** Pod folders and logs: `<stateDir>/pods/<ns>_<name>_<uid>/`. */
  stateDir: string;
  log?: Logger;
  clock?: Clock;
  /** How often the node status (Ready heartbeat) is posted; default 10 s (--node-status-update-frequency). */
  heartbeatMs?: number;
  /** The node Lease's duration, renewed every quarter of it; default 40 s. */
  leaseDurationSeconds?: number;
  /** Container restart back-off (default the kubelet's 10 s doubling to 5 min). */
  backoff?: BackoffOptions;
  /** The pod CIDR to use when Node.spec.podCIDR is still empty when a pod needs an IP (no node IPAM controller). */
  podCIDR?: string;
  /** Where pods' processes and addresses live, e.g. the node's network namespace. */
  pods?: PodNetworkHooks;
  /** Binds the kubelet API server; default: listen on node.ip:10250. */
  serve?: (server: https.Server) => Promise<void>;
  /** The kubelet API's serving certificate and the CA of accepted client certificates; without it no kubelet API is served. */
  tls?: { certPem: string; keyPem: string; clientCaPem: string };
}

const DEFAULT_HEARTBEAT_MS = 10_000;
const DEFAULT_LEASE_SECONDS = 40;
/** How often a kubelet still waiting for its podCIDR reads its Node again. */
const podCIDRPollMs = 500;

/**
 * A kubelet that talks to the API like any other client (@kubernetes/client-node; no in-process store):
 * registers its Node, keeps its Lease and status, runs the pods bound to it as local processes, reports
 * their status and events, finishes graceful deletions, and serves container logs over HTTPS for the API
 * server. Node power and link can be switched off and on, as the chaos of a node loss needs.
 */
export class ApiKubelet {
  readonly name: string;
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reporter: NodeReporter;
  private readonly events: KubeletEvents;
  private readonly pods: KubeletPods;
  private addressPool: PodAddresses | undefined;
  private watch: PodWatch | undefined;
  /** aborted when the kubelet stops reaching the API (power, link, stop) */
  private connection: AbortController | undefined;
  private server: https.Server | undefined;
  private bootCount = 0;
  private powered = true;
  private poweredSince: number;
  private linked = true;
  private linkedSince: number;
  private rebooted = false;
  /** the status heartbeat and lease period in effect (setHeartbeat changes them while it runs) */
  private heartbeatMs: number;
  private leaseDurationSeconds: number;
  /** aborted by setHeartbeat: the periodic loops end their current wait and take the new period */
  private retime = new AbortController();
  private stopped = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: ApiKubeletOptions) {
    this.name = o.node.name;
    this.clock = o.clock ?? systemClock;
    this.log = (o.log ?? silentLogger).child({ node: o.node.name, component: 'kubelet' });
    const { kc, core } = kubeClients({ kubeconfig: o.kubeconfig });
    this.kc = kc;
    this.core = core;
    this.heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.leaseDurationSeconds = o.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS;
    this.reporter = new NodeReporter(core, kc.makeApiClient(CoordinationV1Api), o.node, this.clock, this.leaseDurationSeconds);
    this.events = new KubeletEvents(core, o.node.name, this.clock, this.log);
    this.pods = new KubeletPods({
      core, events: this.events, configs: new ConfigLookups(core, () => this.clock.now(), this.log),
      node: o.node, stateDir: o.stateDir, clock: this.clock, log: this.log, hooks: o.pods ?? {},
      ...(o.backoff ? { backoff: o.backoff } : {}),
      online: () => this.online, boot: () => this.bootCount, addresses: () => this.addresses(),
    });
    this.poweredSince = this.clock.wallNow();
    this.linkedSince = this.poweredSince;
  }

  /**
   * Registers the Node and its Lease, serves the kubelet API, and starts watching the pods bound here.
   * Rejects with an EnvironmentError when the API cannot be reached or refuses the node's credentials.
   */
  async start(): Promise<void> {
    await mkdir(this.o.stateDir, { recursive: true });
    try {
      // the version is only what the Node reports: a server that will not tell it does not stop the kubelet
      const version = await this.kc.makeApiClient(VersionApi).getCode().catch((err: unknown) => {
        this.log.warn({ error: apiMessage(err) }, 'kubelet could not read the API server version');
        return undefined;
      });
      if (version) this.reporter.setVersion(version.gitVersion);
      await this.reporter.register();
      await this.reporter.renewLease();
    } catch (err) {
      throw new EnvironmentError(`kubelet ${this.name} cannot register with the API server ${this.kc.getCurrentCluster()?.server ?? ''}: ${apiMessage(err)}`, {
        hint: `check the node's kubeconfig ${this.o.kubeconfig} (server address and credentials)`,
        cause: err,
      });
    }
    this.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
    this.nodeEvent('Normal', 'NodeReady', `Node ${this.name} status is now: NodeReady`);
    await this.listen();
    this.connect();
  }

  get power(): { state: 'on' | 'off'; sinceMs: number } {
    return { state: this.powered ? 'on' : 'off', sinceMs: this.poweredSince };
  }

  get link(): { state: 'up' | 'down'; sinceMs: number } {
    return { state: this.linked ? 'up' : 'down', sinceMs: this.linkedSince };
  }

  /** Process ids of every container process this node runs. */
  pids(): number[] {
    return this.pods.pids();
  }

  /**
   * The pods running here and what each container's processes use now (CPU time, resident memory), as the
   * kubelet's resource metrics endpoint reports them to metrics-server; empty while the node is off or
   * its link down (metrics-server cannot scrape an unreachable kubelet).
   */
  podUsage(): Array<{ pod: KObject; containers: ContainerUsage[] }> {
    return this.online ? this.pods.usage() : [];
  }

  /**
   * The node loses power: every pod process is SIGKILLed at once, heartbeats, lease renewals, the watch and
   * every write stop. The API is not told: pods stay bound with their last status. Resolves with the
   * killed pids once they have exited.
   */
  async powerOff(): Promise<number[]> {
    if (!this.powered) return [];
    this.powered = false;
    this.bootCount++;
    this.poweredSince = this.clock.wallNow();
    this.disconnect();
    const pids = await this.pods.killAll();
    this.log.info({ pids: pids.length }, 'node powered off');
    return pids;
  }

  /**
   * Power comes back: the kubelet starts with a new boot id, posts its status, finishes the deletions asked
   * for meanwhile and starts again the pods still bound here (restartCount + 1). With the link down it
   * does all that once the link is back.
   */
  powerOn(): void {
    if (this.powered || this.stopping) return;
    this.powered = true;
    this.bootCount++;
    this.poweredSince = this.clock.wallNow();
    this.rebooted = true;
    this.reporter.reboot();
    this.log.info({ bootID: this.reporter.bootID }, 'node powered on');
    if (this.linked) this.connect();
  }

  /** The node loses its link to the API: processes keep running, every API interaction stops. */
  linkDown(): void {
    if (!this.linked) return;
    this.linked = false;
    this.bootCount++;
    this.linkedSince = this.clock.wallNow();
    this.disconnect();
    this.log.info('node link down');
  }

  /** The link is back: status at once, lease, a fresh listing of the pods bound here, queued status writes. */
  linkUp(): void {
    if (this.linked || this.stopping) return;
    this.linked = true;
    this.bootCount++;
    this.linkedSince = this.clock.wallNow();
    this.log.info('node link up');
    if (this.powered) this.connect();
  }

  /** Stops every pod (grace capped at `graceCapSec`), the API interactions and the kubelet API. Idempotent. */
  stop(graceCapSec = 5): Promise<void> {
    this.stopping ??= (async () => {
      this.bootCount++; // deletions in progress are not finished: the API keeps the pods
      await this.pods.stopAll(graceCapSec);
      this.stopped = true;
      this.disconnect();
      const server = this.server;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      this.log.info('kubelet stopped');
    })();
    return this.stopping;
  }

  private get online(): boolean {
    return this.powered && this.linked && !this.stopped;
  }

  /** The kubelet reaches the API: status (a new boot's first), lease and status loops, the pod watch. */
  private connect(): void {
    const connection = (this.connection = new AbortController());
    const signal = connection.signal;
    const rebooted = this.rebooted;
    this.rebooted = false;
    void (async () => {
      try {
        if (rebooted) await this.reporter.register();
        else await this.reporter.postStatus();
      } catch (err) {
        this.log.warn({ error: apiMessage(err) }, 'kubelet could not post node status');
      }
      if (signal.aborted) return;
      if (rebooted) {
        this.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
        this.nodeEvent('Warning', 'Rebooted', `Node ${this.name} has been rebooted, boot id: ${this.reporter.bootID}`);
        this.nodeEvent('Normal', 'NodeReady', `Node ${this.name} status is now: NodeReady`);
      }
      this.every(signal, 'node status', () => this.heartbeatMs, () => this.reporter.postStatus());
      this.every(signal, 'lease renewal', () => (this.leaseDurationSeconds * 1000) / 4, () => this.reporter.renewLease(), true);
      this.watch = new PodWatch(this.kc, this.core, this.name, this.clock, this.log, {
        listed: (pods) => this.pods.listed(pods as KObject[]),
        changed: (pod) => this.pods.changed(pod as KObject),
        deleted: (pod) => this.pods.deleted(pod as KObject),
      });
      this.watch.start();
      this.pods.flush();
    })();
  }

  private disconnect(): void {
    this.connection?.abort();
    this.connection = undefined;
    this.watch?.stop();
    this.watch = undefined;
  }

  /**
   * A new status heartbeat and lease duration, as a restarted kubelet with new flags would take: the
   * status and the lease are posted at once, then each at its new period, so that the node never looks
   * silent for longer than the new period during the change.
   */
  setHeartbeat(heartbeatMs: number, leaseDurationSeconds: number): void {
    this.heartbeatMs = heartbeatMs;
    this.leaseDurationSeconds = leaseDurationSeconds;
    this.reporter.setLeaseDuration(leaseDurationSeconds);
    const retime = this.retime;
    this.retime = new AbortController();
    retime.abort();
    this.log.info({ heartbeatMs, leaseDurationSeconds }, 'kubelet heartbeat changed');
  }

  /**
   * Runs `fn` every `periodMs()` (at once first when `now`) until `signal` aborts; a failure is logged and
   * retried next period. setHeartbeat ends the current wait: `fn` runs at once, then at the new period.
   */
  private every(signal: AbortSignal, what: string, periodMs: () => number, fn: () => Promise<unknown>, now = false): void {
    void (async () => {
      for (let first = now; !signal.aborted; first = false) {
        if (!first) {
          try {
            await this.clock.sleep(periodMs(), AbortSignal.any([signal, this.retime.signal]));
          } catch {
            if (signal.aborted) return;
          }
        }
        try {
          await fn();
        } catch (err) {
          if (!signal.aborted) this.log.warn({ error: apiMessage(err) }, `kubelet ${what} failed`);
        }
      }
    })();
  }

  private nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.events.record(this.events.nodeRef(), { type, reason, message });
  }

  /**
   * The pod IPs: from Node.spec.podCIDR (the node IPAM controller sets it), else the `podCIDR` option; a
   * kubelet with neither waits for the controller, as pods wait for the network plugin.
   */
  private async addresses(): Promise<PodAddresses> {
    while (!this.addressPool) {
      if (this.stopping) throw new Error('kubelet stopped');
      const cidr = this.reporter.node?.spec?.podCIDR ?? this.o.podCIDR;
      if (cidr) {
        this.addressPool = new PodAddresses(cidr);
        this.log.info({ podCIDR: cidr }, 'kubelet pod CIDR');
        break;
      }
      await this.clock.sleep(podCIDRPollMs);
      if (this.online) this.reporter.node = await this.core.readNode({ name: this.name }).catch(() => this.reporter.node);
    }
    return this.addressPool;
  }

  private async listen(): Promise<void> {
    const tls = this.o.tls;
    if (!tls) {
      this.log.info('no TLS material given: the kubelet API (logs) is not served');
      return;
    }
    const logs = new ClusterLogs(this.o.stateDir, (uid) => this.pods.isRunning(uid));
    const server = kubeletServer({ tls, logs, log: this.log, pod: (ns, name) => this.pods.find(ns, name) });
    this.server = server;
    if (this.o.serve) {
      await this.o.serve(server);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(KUBELET_PORT, this.o.node.ip, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
}
