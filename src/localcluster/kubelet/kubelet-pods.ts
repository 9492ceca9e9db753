import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { Clock, Logger } from '../../core/index.js';
import { apiMessage, apiStatus } from '../../kube/index.js';
import type { KObject } from '../api/index.js';
import { CLUSTER_MARKER_ENV, CLUSTER_OWNER_ENV, ownerMark, PodWorker, type BackoffOptions, type CommandWrap, type ContainerUsage, type Dialer, type PodEvent } from '../runtime/index.js';
import { serviceLinks } from '../services/index.js';
import type { ConfigLookups } from './config-lookup.js';
import type { KubeletEvents } from './kubelet-events.js';
import type { PodAddresses } from './pod-ips.js';

/** Hooks that put a pod's processes and address where the node's network is (e.g. a network namespace). */
export interface PodNetworkHooks {
  wrap?: CommandWrap;
  /** The wrap of one pod's commands, by its IP (wins over `wrap`): e.g. to put them in the pod's own cgroup. */
  wrapPod?(ip: string): CommandWrap;
  /** How probes reach the pods (e.g. a connection made inside the node's network namespace). */
  dial?: Dialer;
  addAddress?(ip: string): Promise<void>;
  removeAddress?(ip: string): Promise<void>;
}

export interface KubeletPodsOptions {
  core: CoreV1Api;
  events: KubeletEvents;
  configs: ConfigLookups;
  node: { name: string; ip: string };
  /** Pod folders: `<stateDir>/pods/<ns>_<name>_<uid>/` (work dir, `logs/<container>/<restart>.log`). */
  stateDir: string;
  clock: Clock;
  log: Logger;
  backoff?: BackoffOptions;
  hooks: PodNetworkHooks;
  /** Whether the kubelet runs and reaches the API now. */
  online(): boolean;
  /** Bumped by every power or link change: work begun under an older boot stops touching the API. */
  boot(): number;
  /** The pod IPs of this boot, once the node's podCIDR is known. */
  addresses(): Promise<PodAddresses>;
}

interface PodEntry {
  worker: PodWorker;
  pod: KObject;
  ip: string;
  /** the status the API should get next (undefined: it has the latest) */
  wanted?: any;
  writing?: Promise<void>;
  stopping?: Promise<void>;
  /** the boot finishing this pod's deletion: a later boot (link back, power on) finishes it again */
  terminatingBoot?: number;
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Pause before writing a pod status again after the API refused it for a passing reason. */
const statusRetryMs = 1000;

/**
 * The pods bound to one node, as the kubelet's pod workers and status manager handle them over the API:
 * each runs as a PodWorker (processes on a pod IP from the node's podCIDR), its status is patched
 * through the status subresource (latest first, queued while the API cannot be reached), its events
 * recorded, its graceful deletion finished (stop within the grace, then delete with grace 0 and a uid
 * precondition).
 */
export class KubeletPods {
  private readonly entries = new Map<string, PodEntry>();
  /** every worker started and not yet stopped by stopAll: what a kubelet shutting down must stop, whatever its books say */
  private readonly workers = new Set<PodWorker>();
  /** the kubelet is shutting down (stopAll): nothing starts any more */
  private closed = false;
  /** pods being prepared (IP, references, folder), by uid: their latest object */
  private readonly starting = new Map<string, KObject>();
  private readonly ownerEnv: Record<string, string>;

  constructor(private readonly o: KubeletPodsOptions) {
    const mark = ownerMark();
    this.ownerEnv = mark ? { [CLUSTER_OWNER_ENV]: mark } : {};
  }

  /** The folder of a pod's work dir and logs. */
  podDir(pod: KObject): string {
    return path.join(this.o.stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  }

  isRunning(uid: string): boolean {
    return this.entries.has(uid);
  }

  /** A pod running here, by namespace and name (the kubelet API serves its logs). */
  find(namespace: string, name: string): KObject | undefined {
    for (const e of this.entries.values()) if (e.pod.metadata.namespace === namespace && e.pod.metadata.name === name) return e.pod;
    return undefined;
  }

  pids(): number[] {
    return [...this.entries.values()].flatMap((e) => e.worker.pids());
  }

  /** The pods running here (not being stopped) and what their containers use now: what the kubelet's resource metrics report. */
  usage(): Array<{ pod: KObject; containers: ContainerUsage[] }> {
    return [...this.entries.values()].filter((e) => !e.stopping && !e.pod.metadata.deletionTimestamp).map((e) => ({ pod: e.pod, containers: e.worker.containerUsage() }));
  }

  /** A full listing of the pods bound here: those running here that the API no longer has are stopped, the others' statuses posted. */
  listed(pods: KObject[]): void {
    const uids = new Set(pods.map((p) => p.metadata.uid));
    for (const [uid, entry] of [...this.entries]) {
      if (!uids.has(uid)) this.deleted(entry.pod);
      else if (!entry.stopping) this.queueStatus(entry, entry.worker.status());
    }
  }

  /** A pod bound here was added or changed. */
  changed(pod: KObject): void {
    if (this.closed) return;
    const uid = pod.metadata.uid!;
    if (this.starting.has(uid)) {
      this.starting.set(uid, pod);
      return;
    }
    const entry = this.entries.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (entry) entry.pod = pod;
      void this.terminate(pod, entry);
      return;
    }
    if (entry) {
      entry.pod = pod;
      entry.worker.update(pod); // readiness gates and conditions other components own
      this.restoreReady(pod, entry);
      return;
    }
    if (['Succeeded', 'Failed'].includes(pod.status?.phase)) return;
    this.starting.set(uid, pod);
    this.run(uid).catch((err: unknown) => {
      this.starting.delete(uid);
      this.o.log.error({ err, pod: pod.metadata.name }, 'kubelet could not start pod');
      // no address, no folder: the pod's sandbox could not be made (the next update of the pod tries again)
      this.record(pod, { type: 'Warning', reason: 'FailedCreatePodSandBox', message: `Failed to create pod sandbox: ${(err as Error).message}` });
    });
  }

  /** The pod is gone from the API (deleted after termination, or forced): its processes go too. */
  deleted(pod: KObject): void {
    const uid = pod.metadata.uid!;
    this.starting.delete(uid);
    const entry = this.entries.get(uid);
    if (!entry) return;
    this.entries.delete(uid);
    if (!entry.stopping) entry.worker.kill();
    void this.releaseAddress(entry, entry.worker.gone());
  }

  /** Writes every queued status (the API is reachable again). */
  flush(): void {
    for (const entry of this.entries.values()) void this.flushStatus(entry);
  }

  /** Every process SIGKILLed at once (a power loss); resolves with their pids once they have exited. */
  async killAll(): Promise<number[]> {
    const pids = this.pids();
    const entries = [...this.entries.values()];
    this.entries.clear();
    this.starting.clear();
    for (const e of entries) e.worker.kill();
    await Promise.all(entries.map((e) => this.releaseAddress(e, e.worker.gone())));
    return pids;
  }

  /** Stops every pod, the grace capped at `graceCapSec` (the kubelet shutting down). */
  async stopAll(graceCapSec: number): Promise<void> {
    // from now on no pod starts here: a watch event still arriving (an echo of the last status) must not start one again
    this.closed = true;
    this.starting.clear();
    const entries = [...this.entries.values()];
    const tracked = new Set(entries.map((e) => e.worker));
    // a worker no entry holds any more (its pod left this kubelet's books) still has processes: they go too
    const strays = [...this.workers].filter((w) => !tracked.has(w));
    await Promise.all([
      ...entries.map(async (e) => {
        const grace = Math.min(graceCapSec, e.pod.spec?.terminationGracePeriodSeconds ?? 30);
        await (e.stopping ?? e.worker.stop(grace));
      }),
      ...strays.map((w) => w.stop(graceCapSec)),
    ]);
    this.workers.clear();
    this.entries.clear();
    await Promise.all(entries.map((e) => this.releaseAddress(e, Promise.resolve())));
  }

  private async run(uid: string): Promise<void> {
    const boot = this.o.boot();
    const addresses = await this.o.addresses();
    const first = this.starting.get(uid);
    if (!first || boot !== this.o.boot()) return;
    const ns = first.metadata.namespace!;
    const [links] = await Promise.all([this.serviceLinks(first), this.o.configs.prefetch(first), mkdir(this.podDir(first), { recursive: true })]);
    const ip = addresses.allocate();
    try {
      await this.o.hooks.addAddress?.(ip);
    } catch (err) {
      addresses.release(ip);
      throw err;
    }
    // the latest version: it may have been deleted, or updated, while we got ready
    const pod = this.starting.get(uid);
    this.starting.delete(uid);
    const entry: PodEntry = { pod: pod ?? first, ip, worker: undefined as unknown as PodWorker };
    if (!pod || boot !== this.o.boot() || this.closed) {
      await this.releaseAddress(entry, Promise.resolve());
      return;
    }
    entry.worker = new PodWorker({
      pod, podIP: ip, hostIP: this.o.node.ip, nodeName: this.o.node.name, dir: this.podDir(pod),
      // The marker lets `crt cluster down` find pod processes a crashed cluster left behind (see leftovers.ts).
      serviceEnv: { ...links, [CLUSTER_MARKER_ENV]: this.o.stateDir, ...this.ownerEnv },
      lookup: (kind, namespace, name) => this.o.configs.lookup(kind, namespace, name),
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
      ...(this.o.hooks.wrapPod ? { wrap: this.o.hooks.wrapPod(ip) } : this.o.hooks.wrap ? { wrap: this.o.hooks.wrap } : {}),
      ...(this.o.hooks.dial ? { dial: this.o.hooks.dial } : {}),
      previousStatus: pod.status, clock: this.o.clock, log: this.o.log,
      onStatus: (status) => this.queueStatus(entry, status),
      onEvent: (event) => this.record(entry.pod, event),
    });
    this.entries.set(uid, entry);
    this.workers.add(entry.worker);
    if (pod.metadata.deletionTimestamp) {
      void this.terminate(pod, entry);
      return;
    }
    this.o.log.debug({ pod: pod.metadata.name, namespace: ns, ip }, 'kubelet starting pod');
    entry.worker.start();
  }

  /** The Docker-links variables of the namespace's Services, as the kubelet gives them (`enableServiceLinks`). */
  private async serviceLinks(pod: KObject): Promise<Record<string, string>> {
    if (pod.spec?.enableServiceLinks === false) return {};
    try {
      const services = await this.o.core.listNamespacedService({ namespace: pod.metadata.namespace! });
      return serviceLinks(services.items as KObject[]);
    } catch (err) {
      this.o.log.warn({ pod: pod.metadata.name, error: apiMessage(err) }, 'kubelet could not list services for the pod environment');
      return {};
    }
  }

  private async releaseAddress(entry: PodEntry, gone: Promise<void>): Promise<void> {
    await gone;
    try {
      await this.o.hooks.removeAddress?.(entry.ip);
    } catch (err) {
      this.o.log.warn({ err, ip: entry.ip }, 'kubelet could not remove a pod address');
    }
    // the pool of this boot, if the pod was not from an earlier one
    const pool = await this.o.addresses();
    pool.release(entry.ip);
  }

  /**
   * The node lifecycle controller marks pods not Ready when the kubelet was silent too long; a live kubelet
   * puts its own view back, as its status manager does.
   */
  private restoreReady(pod: KObject, entry: PodEntry): void {
    const ready = (status: any): string | undefined => (status?.conditions as any[] | undefined)?.find((c) => c.type === 'Ready')?.status;
    const ours = entry.worker.status();
    const have = ready(pod.status);
    if (have !== undefined && ready(ours) !== undefined && ready(ours) !== have) this.queueStatus(entry, ours);
  }

  private record(pod: KObject, event: PodEvent): void {
    // a kubelet cut off from the API loses its events
    if (this.o.online()) void this.o.events.record(pod as any, event);
  }

  private queueStatus(entry: PodEntry, status: any): void {
    entry.wanted = status;
    void this.flushStatus(entry);
  }

  /** Writes the latest wanted status, in order, while the API can be reached; resolves when nothing is left to write. */
  private flushStatus(entry: PodEntry): Promise<void> {
    entry.writing ??= this.writeStatuses(entry).finally(() => (entry.writing = undefined));
    return entry.writing;
  }

  private async writeStatuses(entry: PodEntry): Promise<void> {
    const { name, namespace, uid } = entry.pod.metadata;
    while (entry.wanted !== undefined && this.o.online()) {
      const status = entry.wanted;
      entry.wanted = undefined;
      try {
        // the uid makes it a precondition: a pod recreated under the same name is not written over
        await this.o.core.patchNamespacedPodStatus({ name: name!, namespace: namespace!, body: { metadata: { uid }, status } }, mergePatch());
      } catch (err) {
        const code = apiStatus(err);
        if (code === 404 || code === 409 || code === 422) return; // gone, or another pod now
        entry.wanted ??= status;
        this.o.log.warn({ pod: name, error: apiMessage(err) }, 'kubelet could not write pod status, retrying');
        await this.o.clock.sleep(statusRetryMs);
      }
    }
  }

  private async terminate(pod: KObject, entry: PodEntry | undefined): Promise<void> {
    const boot = this.o.boot();
    if (entry) {
      if (entry.terminatingBoot === boot) return;
      entry.terminatingBoot = boot;
      entry.stopping ??= entry.worker.stop(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      await entry.stopping;
      await this.flushStatus(entry); // the final status (terminated containers) before the pod goes
    }
    // the node lost power or its link meanwhile: the deletion waits for it to come back
    if (boot !== this.o.boot() || !this.o.online()) return;
    const { name, namespace, uid } = pod.metadata;
    try {
      await this.o.core.deleteNamespacedPod({ name: name!, namespace: namespace!, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: uid! } } });
    } catch (err) {
      const code = apiStatus(err);
      if (code !== 404 && code !== 409) this.o.log.error({ pod: name, error: apiMessage(err) }, 'kubelet could not finish pod deletion');
    }
  }
}
