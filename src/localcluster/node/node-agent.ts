import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, sameOffsetIn, type Cancel, type Clock } from '../../core/index.js';
import { ApiError, type KObject } from '../api/index.js';
import { EventRecorder } from '../controllers/index.js';
import { AddressPool, PodGate, type Gate, type NodeLinks, type ServiceProxy } from '../network/index.js';
import { CLUSTER_MARKER_ENV, CLUSTER_OWNER_ENV, ownerMark, PodWorker, type BackoffOptions } from '../runtime/index.js';
import { serviceEnv } from '../services/index.js';
import type { Store } from '../store/index.js';
import { containerBindingPodIP, gatePorts } from './gate-ports.js';
import type { NodeShape } from './node-object.js';
import { NodeStatus } from './node-status.js';
import { DEFAULT_HEARTBEAT_MS } from '../../vocabulary/index.js';

export interface NodeAgentOptions {
  store: Store;
  node: NodeShape;
  /** Where pod work dirs and logs go: `<stateDir>/pods/<ns>_<name>_<uid>/`. */
  stateDir: string;
  log: Logger;
  heartbeatMs?: number;
  /** what times the heartbeat (default the system clock); tests drive it with a manual clock */
  timers?: Pick<Clock, 'after'>;
  backoff?: BackoffOptions;
  /**
   * Per-pod ingress gates: each pod's containers listen on the address at the pod IP's offset in
   * `bindCIDR` (`$HOST`), and a gate on the pod IP lets through what `gate` (NetworkPolicy) allows.
   * Without it pods listen on their pod IP, unfiltered.
   */
  gates?: { bindCIDR: string; gate: Gate };
  /**
   * The cluster's link switch: `linkDown()` partitions this node's addresses there, and so does
   * `powerOff()` when its traffic is `drop` (a dead machine answers nothing; with `reset` its pods'
   * addresses refuse connections at once instead).
   */
  links?: NodeLinks;
  /**
   * How long a pod bound here waits before its containers start: sandbox creation, the CNI's setup
   * and the image pull of a real kubelet (default 0).
   */
  podStartDelayMs?: number;
}

interface PodEntry {
  worker: PodWorker;
  pod: KObject;
  ip: string;
  dir: string;
  gate?: PodGate;
  stopping?: Promise<void>;
  /** the boot that is finishing this pod's deletion: a later boot (the link back) finishes it again */
  terminatingBoot?: number;
}

/**
 * The kubelet of one embedded node: registers the Node and keeps its heartbeat, runs the pods bound to
 * it as PodWorkers (processes on pod IPs from the node's podCIDR), writes their status and events, and
 * finishes graceful deletions (stop the processes, then delete the pod with grace 0).
 */
export class NodeAgent {
  readonly name: string;
  private readonly pods = new Map<string, PodEntry>();
  private readonly pool: AddressPool;
  private readonly recorder: EventRecorder;
  private readonly nodeStatus: NodeStatus;
  /** this process, in every pod's environment (see owner.ts) */
  private readonly ownerEnv: Record<string, string> = ownerEnv();
  private stopWatch: (() => void) | undefined;
  /** cancels the next heartbeat; undefined while the kubelet does not reach the API */
  private heartbeat: Cancel | undefined;
  /** Bumped by every power or link change: work a previous boot started must not touch the API any more. */
  private boot = 0;
  private powered = true;
  private poweredSince: number;
  private heartbeatMs: number;
  private linked = true;
  private linkedSince: number;
  /** powered on while the link was down: the kubelet registers its new boot id once it reaches the API */
  private rebooted = false;
  /**
   * The ingress gates of the pods a power-off killed, with their addresses: kept listening (and
   * holding every connection, the node being partitioned) until power comes back, so that traffic to
   * a dead pod goes unanswered instead of being refused.
   */
  private deadGates: Array<{ gate: PodGate; ip: string }> = [];

  constructor(private readonly opts: NodeAgentOptions) {
    this.name = opts.node.name;
    this.pool = new AddressPool(opts.node.podCIDR);
    this.recorder = new EventRecorder(opts.store, { component: 'kubelet', host: this.name });
    this.nodeStatus = new NodeStatus(opts.store, opts.node, this.recorder);
    this.poweredSince = opts.store.now();
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.linkedSince = this.poweredSince;
  }

  start(): void {
    this.nodeStatus.register();
    this.serve();
  }

  /** Heartbeats and the watch on the pods bound here: what a running kubelet does. */
  private serve(): void {
    const { store } = this.opts;
    this.startHeartbeat();
    this.stopWatch = store.watch('pods', undefined, { fieldSelector: `spec.nodeName=${this.name}` }, (e) => {
      if (e.type === 'DELETED') this.forget(e.object);
      else if (e.type === 'ADDED' || e.type === 'MODIFIED') this.sync(e.object);
    });
  }

  private startHeartbeat(): void {
    const timers = this.opts.timers ?? systemClock;
    this.heartbeat = timers.after(this.heartbeatMs, () => {
      this.nodeStatus.beat();
      this.startHeartbeat();
    }, { unref: true });
  }

  /** The heartbeat period in use. */
  get heartbeatPeriodMs(): number {
    return this.heartbeatMs;
  }

  /**
   * A new --node-status-update-frequency, as a restarted kubelet would take it: a running kubelet posts
   * its status at once and then every `ms`, so that no node looks silent while the timings change. A
   * powered-off node keeps quiet and uses the new period when it comes back.
   */
  setHeartbeat(ms: number): void {
    this.heartbeatMs = ms;
    if (!this.heartbeat) return;
    this.heartbeat();
    this.nodeStatus.beat();
    this.startHeartbeat();
  }

  /** The kubelet no longer reaches the API: no heartbeat, no watch, no status or event writes. */
  private disconnect(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.heartbeat?.();
    this.heartbeat = undefined;
  }

  /** Whether the kubelet runs and reaches the API. */
  private get connected(): boolean {
    return this.powered && this.linked;
  }

  /** Stops every pod (the grace capped at `graceCapSec`) and the heartbeat. */
  async stop(graceCapSec = 5): Promise<void> {
    this.disconnect();
    await Promise.all(this.deadGates.splice(0).map(({ gate }) => gate.close()));
    await Promise.all([...this.pods.values()].map(async (p) => {
      const grace = Math.min(graceCapSec, p.pod.spec?.terminationGracePeriodSeconds ?? 30);
      await (p.stopping ?? p.worker.stop(grace));
      await p.gate?.close();
    }));
    this.pods.clear();
  }

  get power(): { state: 'on' | 'off'; sinceMs: number } {
    return { state: this.powered ? 'on' : 'off', sinceMs: this.poweredSince };
  }

  /**
   * The node loses power: every pod process is SIGKILLed at once (no preStop, no grace), heartbeats and
   * status writes stop. The API is not told: pods stay bound with their last status until the node
   * lifecycle controller notices the silence. Resolves with the killed pids once they have exited.
   */
  async powerOff(): Promise<number[]> {
    if (!this.powered) return [];
    this.powered = false;
    this.boot++;
    this.poweredSince = this.opts.store.now();
    this.disconnect();
    const pids = this.pids();
    // black-holed before the processes die, so that their deaths reach no client
    const blackHoled = this.blackHoles() && this.linked ? this.partition() : 0;
    const workers = [...this.pods.values()].map((p) => p.worker);
    for (const w of workers) w.kill();
    const gates: Array<Promise<void>> = [];
    for (const p of this.pods.values()) {
      if (p.gate && this.blackHoles()) {
        this.deadGates.push({ gate: p.gate, ip: p.ip });
        continue;
      }
      if (p.gate) gates.push(p.gate.close());
      this.pool.release(p.ip);
    }
    this.pods.clear();
    this.opts.log.info({ pids: pids.length, blackHoled }, 'node powered off');
    await Promise.all([...workers.map((w) => w.gone()), ...gates]);
    return pids;
  }

  /**
   * Power comes back: the kubelet starts with a new boot id, posts Ready, finishes the deletions the API
   * asked for meanwhile and starts again the pods still bound here (restartCount + 1). With the link
   * down it does all that once the link is back.
   */
  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.boot++;
    this.poweredSince = this.opts.store.now();
    this.rebooted = true;
    for (const { gate, ip } of this.deadGates.splice(0)) void gate.close().finally(() => this.pool.release(ip));
    this.opts.log.info('node powered on');
    if (this.linked) {
      this.opts.links?.up(this.name);
      this.connect();
    }
  }

  /** Whether a lost node black-holes its traffic (a link switch with traffic `drop`), rather than refusing it. */
  private blackHoles(): boolean {
    return this.opts.links?.traffic === 'drop';
  }

  /** Partitions this node's addresses at the link switch; returns how many established connections it cut or black-holed. */
  private partition(): number {
    const { node, gates } = this.opts;
    return this.opts.links?.down(this.name, [node.ip, node.podCIDR, ...(gates ? [gates.bindCIDR] : [])]) ?? 0;
  }

  get link(): { state: 'up' | 'down'; sinceMs: number } {
    return { state: this.linked ? 'up' : 'down', sinceMs: this.linkedSince };
  }

  /**
   * The node's network link goes down: the machine keeps running (pod processes, restarts, probes from
   * the node itself), but its heartbeats, status writes and watch of the API stop, as at a power-off,
   * and the cluster network drops every connection between this node's addresses and anything
   * elsewhere (established ones are reset). Returns how many connections were reset.
   */
  linkDown(): number {
    if (!this.linked) return 0;
    this.linked = false;
    this.boot++;
    this.linkedSince = this.opts.store.now();
    this.disconnect();
    // a powered-off node that black-holes is partitioned already
    const cut = this.powered || !this.blackHoles() ? this.partition() : 0;
    this.opts.log.info({ cut, pods: this.pods.size }, 'node link down');
    return cut;
  }

  /**
   * The link is back: the heartbeat resumes at once and the kubelet resyncs with the API — pods deleted
   * meanwhile (evicted after their toleration) are stopped, those still bound keep running and get
   * their status posted, pods bound here meanwhile start.
   */
  linkUp(): void {
    if (this.linked) return;
    this.linked = true;
    this.boot++;
    this.linkedSince = this.opts.store.now();
    // a dead machine stays unreachable whatever its link
    if (this.powered || !this.blackHoles()) this.opts.links?.up(this.name);
    this.opts.log.info('node link up');
    if (this.powered) this.connect();
  }

  /** The kubelet reaches the API again: after a reboot with a new boot id, either way with a status at once. */
  private connect(): void {
    if (this.rebooted) {
      this.rebooted = false;
      this.nodeStatus.rebooted();
    } else {
      this.nodeStatus.beat();
    }
    this.serve();
    this.resync();
  }

  /**
   * After the watch's first listing (every pod bound here, through `sync`): a pod running here that the
   * API no longer has at all is stopped, and the others' statuses are posted.
   */
  private resync(): void {
    const { store } = this.opts;
    for (const entry of [...this.pods.values()]) {
      const current = store.peek('pods', entry.pod.metadata.namespace, entry.pod.metadata.name!);
      if (!current || current.metadata.uid !== entry.pod.metadata.uid) this.forget(entry.pod);
      else if (!current.metadata.deletionTimestamp && !entry.stopping) this.writeStatus(current, entry.worker.status());
    }
  }

  /** The proxies of the pods' ingress gates, one per gated port (NetworkPolicy cuts, statistics). */
  gateProxies(): ServiceProxy[] {
    return [...this.pods.values()].flatMap((p) => p.gate?.proxies() ?? []);
  }

  /** The private address behind the gate of `podIP:port` if a pod here has that port gated. */
  privateAddress(podIP: string, port: number): string | undefined {
    for (const p of this.pods.values()) {
      if (p.ip === podIP) return p.gate?.ports().includes(port) ? p.gate.bindIP : undefined;
    }
    return undefined;
  }

  /** The ingress gate of a pod running here, by uid; undefined when the pod is not gated. */
  podGate(uid: string): PodGate | undefined {
    return this.pods.get(uid)?.gate;
  }

  /** Process ids of every container process this node runs. */
  pids(): number[] {
    return [...this.pods.values()].flatMap((p) => p.worker.pids());
  }

  /** Process ids of one pod's container processes, by uid (empty when the pod does not run here). */
  podPids(uid: string): number[] {
    return this.pods.get(uid)?.worker.pids() ?? [];
  }

  /** The entry of a pod running here, by uid (logs, statistics). */
  podDir(uid: string): string | undefined {
    return this.pods.get(uid)?.dir;
  }

  cpuTimeMs(uid: string): number | undefined {
    return this.pods.get(uid)?.worker.cpuTimeMs();
  }

  private sync(pod: KObject): void {
    const uid = pod.metadata.uid!;
    const entry = this.pods.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (entry) entry.pod = pod;
      void this.terminate(pod, entry);
      return;
    }
    if (entry) {
      entry.pod = pod;
      entry.worker.update(pod); // readiness gates and conditions other components own
      this.restoreReady(pod, entry.worker);
      return;
    }
    if (['Succeeded', 'Failed'].includes(pod.status?.phase)) return;
    void this.run(pod);
  }

  private async run(pod: KObject): Promise<void> {
    const uid = pod.metadata.uid!;
    const ip = this.pool.allocate();
    const dir = path.join(this.opts.stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${uid}`);
    const ns = pod.metadata.namespace!;
    const gate = this.gateFor(pod, ip);
    const worker = new PodWorker({
      pod, podIP: ip, ...(gate ? { bindIP: gate.bindIP } : {}), hostIP: this.opts.node.ip, nodeName: this.name, dir,
      // The marker lets `crt cluster down` find pod processes a crashed cluster left behind.
      // The owner mark tells the pods of a killed run (orphans) from those of a cluster still running.
      serviceEnv: { ...(pod.spec?.enableServiceLinks === false ? {} : serviceEnv(this.opts.store, ns)), [CLUSTER_MARKER_ENV]: this.opts.stateDir, ...this.ownerEnv },
      lookup: (kind, namespace, name) => this.lookup(kind, namespace, name),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      ...(this.opts.podStartDelayMs ? { startDelayMs: this.opts.podStartDelayMs } : {}),
      previousStatus: pod.status,
      onStatus: (status) => this.writeStatus(pod, status),
      onEvent: (event) => this.record(this.opts.store.peek('pods', ns, pod.metadata.name!) ?? pod, event),
    });
    this.pods.set(uid, { worker, pod, ip, dir, ...(gate ? { gate } : {}) });
    await mkdir(dir, { recursive: true });
    // the gate listens before any container does, as a CNI is set up before the containers start
    if (gate) await this.openGate(pod, gate);
    if (this.pods.get(uid)?.worker !== worker) return; // deleted (or the node lost power) meanwhile
    worker.start();
  }

  /** The pod's ingress gate (not listening yet), or undefined when the pod runs ungated on its pod IP. */
  private gateFor(pod: KObject, ip: string): PodGate | undefined {
    const gates = this.opts.gates;
    if (!gates) return undefined;
    const container = containerBindingPodIP(pod);
    if (container !== undefined) {
      this.record(pod, {
        type: 'Warning', reason: 'NotGated', fieldPath: `spec.containers{${container}}`,
        message: `container ${container} sets HOST to the pod IP itself: NetworkPolicy does not filter direct pod-IP traffic to this pod; leave HOST to the kubelet (the pod's private listen address)`,
      });
      return undefined;
    }
    const bindIP = sameOffsetIn(ip, gates.bindCIDR);
    if (bindIP === null) throw new Error(`invalid bindCIDR ${gates.bindCIDR}`);
    return new PodGate({ podIP: ip, bindIP, name: pod.metadata.name!, gate: gates.gate, log: this.opts.log.child({ pod: pod.metadata.name, component: 'pod-gate' }) });
  }

  /** Listens on the pod's known ports; a port taken already stays ungated, with a warning event. */
  private async openGate(pod: KObject, gate: PodGate): Promise<void> {
    const ports = gatePorts(pod, this.opts.store.snapshot('services', pod.metadata.namespace));
    for (const failure of await gate.open(ports)) {
      this.opts.log.warn({ err: failure.error, pod: pod.metadata.name, port: failure.port }, 'pod gate could not listen');
      this.record(pod, {
        type: 'Warning', reason: 'NotGated',
        message: `cannot gate ${gate.podIP}:${failure.port} (${failure.error.code ?? failure.error.message}): NetworkPolicy does not filter direct pod-IP traffic to that port; containers should listen on $HOST`,
      });
    }
  }

  /**
   * The node lifecycle controller marks pods not Ready when this kubelet was silent for too long (a stalled
   * event loop); a live kubelet puts its own view back, as the kubelet's status manager does.
   */
  private restoreReady(pod: KObject, worker: PodWorker): void {
    const ready = (status: any): string | undefined => (status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready')?.status;
    const ours = worker.status();
    const have = ready(pod.status);
    if (have !== undefined && ready(ours) !== undefined && ready(ours) !== have) this.writeStatus(pod, ours);
  }

  private lookup(kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Record<string, string> | undefined {
    if (kind !== 'ConfigMap') return undefined; // the embedded cluster serves no Secrets
    return this.opts.store.peek('configmaps', namespace, name)?.data as Record<string, string> | undefined;
  }

  /** A pod's event, when the API can be reached: a kubelet cut off from it loses them. */
  private record(pod: KObject, event: Parameters<EventRecorder['record']>[1]): void {
    if (this.connected) this.recorder.record(pod, event);
  }

  private writeStatus(pod: KObject, status: unknown): void {
    if (!this.connected) return; // the kubelet's status manager retries once it reaches the API: resync()
    const current = this.opts.store.peek('pods', pod.metadata.namespace, pod.metadata.name!);
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    this.opts.store.mutate('pods', pod.metadata.namespace, pod.metadata.name!, (draft) => {
      draft.status = status;
    }, { subresource: 'status' });
  }

  private async terminate(pod: KObject, entry: PodEntry | undefined): Promise<void> {
    const boot = this.boot;
    if (entry) {
      if (entry.terminatingBoot === boot) return;
      entry.terminatingBoot = boot;
      entry.stopping ??= entry.worker.stop(pod.metadata.deletionGracePeriodSeconds ?? 30);
      await entry.stopping;
    }
    // the node lost power or its link meanwhile: the deletion waits for it to come back
    if (boot !== this.boot) return;
    try {
      this.opts.store.delete('pods', pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
    } catch (err) {
      if (!(err instanceof ApiError) || (err.code !== 404 && err.code !== 409)) this.opts.log.error({ err, pod: pod.metadata.name }, 'could not finish pod deletion');
    }
  }

  /** The pod is gone from the API (force deletion or after termination): make sure its processes are too. */
  private forget(pod: KObject): void {
    const uid = pod.metadata.uid!;
    const entry = this.pods.get(uid);
    if (!entry) return;
    this.pods.delete(uid);
    if (!entry.stopping) entry.worker.kill();
    // the address goes back to the pool only once the gate has let go of it
    void (entry.gate?.close() ?? Promise.resolve()).finally(() => this.pool.release(entry.ip));
  }
}

function ownerEnv(): Record<string, string> {
  const mark = ownerMark();
  return mark ? { [CLUSTER_OWNER_ENV]: mark } : {};
}
