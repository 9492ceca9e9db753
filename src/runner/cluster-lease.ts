import os from 'node:os';
import { ApiException, CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { EnvironmentError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { crtVersion } from '../core/version.js';
import type { KubeClients } from '../kube/index.js';
import type { CaseSpec } from '../plan/types.js';
import type { ClusterLeaseRecord } from '../results/types.js';

/** The Lease a run holds while it may act on a cluster: one run per cluster (per journal namespace). */
export const RUN_LEASE_NAME = 'crt-run-lock';
/** How long a lease outlives its last renewal; it is renewed every third of it. */
export const RUN_LEASE_DURATION_SEC = 15;

const ANNOTATION = { host: 'crt.io/host', pid: 'crt.io/pid', startedAt: 'crt.io/started-at', crtVersion: 'crt.io/crt-version' } as const;
/** Attempts at taking the lease when other writers keep changing it under us (409 each time). */
const ACQUIRE_ATTEMPTS = 5;

/**
 * Whether a run must hold the cluster's lease: it will act on the cluster. Every trigger step counts:
 * the Kubernetes faults act through the API, and `exec` and `manual` steps are given the cluster
 * (KUBECONFIG, a person at it). `--revert-first` acts too. Conditions and probes only read.
 */
export function needsRunLease(cases: readonly CaseSpec[], revertFirst: boolean): boolean {
  return revertFirst || cases.some((c) => c.trigger.length > 0);
}

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

/** The holder of a lease, as its annotations describe it. */
export interface LeaseHolder {
  runId: string;
  host: string;
  pid: number | null;
  startedAt: string;
  crtVersion: string;
  /** when the lease lapses unless renewed */
  expiresAtMs: number;
}

export function leaseHolder(l: LeaseState): LeaseHolder | null {
  if (!l.holder) return null;
  const pid = Number(l.annotations[ANNOTATION.pid]);
  const renewed = l.renewedAtMs ?? 0;
  return {
    runId: l.holder, host: l.annotations[ANNOTATION.host] ?? 'an unknown host', pid: Number.isInteger(pid) ? pid : null,
    startedAt: l.annotations[ANNOTATION.startedAt] ?? (l.acquiredAtMs !== null ? iso(l.acquiredAtMs) : 'an unknown time'),
    crtVersion: l.annotations[ANNOTATION.crtVersion] ?? 'unknown', expiresAtMs: renewed + l.durationSec * 1000,
  };
}

/** The holder of a lease that has not lapsed at `nowMs` (wall clock), or null. */
export function liveHolder(l: LeaseState | null, nowMs: number): LeaseHolder | null {
  const h = l ? leaseHolder(l) : null;
  return h && h.expiresAtMs > nowMs ? h : null;
}

/** `run X on host H (pid P, crt V) since T` */
export function describeHolder(h: LeaseHolder): string {
  return `run ${h.runId} on ${h.host} (${h.pid !== null ? `pid ${h.pid}, ` : ''}crt ${h.crtVersion}) since ${h.startedAt}`;
}

/** `expires at T (in 12 s)`, or when it expired. */
export function describeExpiry(h: LeaseHolder, nowMs: number): string {
  const inSec = Math.ceil((h.expiresAtMs - nowMs) / 1000);
  return inSec > 0 ? `expires at ${iso(h.expiresAtMs)} (in ${inSec} s) unless renewed` : `expired at ${iso(h.expiresAtMs)}`;
}

export interface RunLeaseOptions {
  runId: string;
  clock: Clock;
  log: Logger;
  durationSec?: number;
  /** this process, for the annotations (defaults: this host, this pid, this crt) */
  identity?: { host: string; pid: number; crtVersion: string };
  /** a notice for the person watching: a takeover, a lost lease */
  notify?: (message: string) => void;
}

/**
 * The run lease: taken before the run acts on its cluster, renewed every third of its duration through
 * the Clock, released at the end. Every write is guarded by the resourceVersion, so two runs never
 * both believe they hold it. Once lost (taken by another run, or not renewed within its duration),
 * `check()` throws for the rest of the run: no further fault is injected.
 */
export class RunLease {
  readonly record: ClusterLeaseRecord;
  private state: LeaseState | null = null;
  private renewedMono = 0;
  private lostReason: string | null = null;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly durationSec: number;

  constructor(private readonly api: LeaseApi, namespace: string, private readonly o: RunLeaseOptions) {
    this.durationSec = o.durationSec ?? RUN_LEASE_DURATION_SEC;
    this.record = { name: RUN_LEASE_NAME, namespace, durationSec: this.durationSec };
  }

  /**
   * Takes the lease, or throws an EnvironmentError (exit 3) naming the run that holds it. A lease whose
   * holder has not renewed it within its duration is taken over, and the takeover is reported.
   */
  async acquire(): Promise<void> {
    try {
      await this.take();
    } catch (err) {
      if (err instanceof EnvironmentError) throw err;
      throw new EnvironmentError(`cannot take the run lease ${this.api.where}: ${apiMessage(err)}`, {
        hint: `crt holds a Lease while it acts on a cluster: it needs get, create, update and delete on leases (coordination.k8s.io) in ${this.record.namespace} (cluster.journalNamespace)`,
        cause: err,
      });
    }
  }

  private async take(): Promise<void> {
    for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
      const now = this.o.clock.wallNow();
      const current = await this.api.read();
      if (!current) {
        const created = await this.api.create(this.write(now, now, 0));
        if (created === 'exists') continue;
        if (created === 'no-namespace') throw noNamespace(this.record.namespace, this.api.where);
        return this.held(created);
      }
      const holder = leaseHolder(current);
      if (holder && holder.expiresAtMs > now) throw refusal(holder, now, this.api.where);
      const taken = await this.api.replace(current.resourceVersion, this.write(now, now, current.transitions + 1));
      if (taken === 'conflict' || taken === 'gone') continue;
      if (holder) this.reportTakeover(holder);
      return this.held(taken);
    }
    throw new EnvironmentError(`cannot take the run lease ${this.api.where}: it changed under every one of ${ACQUIRE_ATTEMPTS} attempts`, {
      hint: 'another crt run is starting on this cluster at the same moment: run again once it has started or ended',
    });
  }

  /** Throws while the run may not act on the cluster: the lease was lost (or is not held). */
  check(): void {
    if (!this.lostReason && this.state && this.o.clock.now() - this.renewedMono >= this.durationSec * 1000) {
      this.lose(`not renewed for ${this.durationSec} s (its duration): another run may hold the cluster now`);
    }
    if (this.lostReason) {
      throw new EnvironmentError(`the run lost its cluster lease ${this.api.where}: ${this.lostReason}`, { hint: 'no further fault is injected; faults already in place are reverted' });
    }
    if (!this.state) throw new EnvironmentError(`the run does not hold its cluster lease ${this.api.where}`);
  }

  /** Stops renewing and deletes the lease if it is still this run's. Never throws: a lease left behind lapses by itself. */
  async release(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    const state = this.state;
    this.state = null;
    if (!state || this.lostReason) return;
    try {
      let outcome = await this.api.delete(state.resourceVersion);
      if (outcome === 'conflict') {
        const fresh = await this.api.read();
        outcome = fresh && fresh.holder === this.o.runId ? await this.api.delete(fresh.resourceVersion) : 'gone';
      }
      this.record.released = outcome !== 'conflict';
      this.o.log.info({ lease: this.api.where, outcome }, 'run lease released');
    } catch (err) {
      this.o.log.warn({ lease: this.api.where, err: errorMessage(err) }, 'run lease not released');
      this.o.notify?.(`could not release the run lease ${this.api.where} (${errorMessage(err)}): it lapses ${this.durationSec} s after its last renewal`);
    }
  }

  private held(state: LeaseState): void {
    this.state = state;
    this.renewedMono = this.o.clock.now();
    this.o.log.info({ lease: this.api.where, durationSec: this.durationSec }, 'run lease taken');
    this.loop = this.renewLoop();
  }

  private async renewLoop(): Promise<void> {
    const everyMs = (this.durationSec * 1000) / 3;
    while (!this.lostReason && !this.stopper.signal.aborted) {
      try {
        await this.o.clock.sleep(everyMs, this.stopper.signal);
      } catch {
        return; // released
      }
      await this.renew();
    }
  }

  private async renew(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const now = this.o.clock.wallNow();
    try {
      const renewed = await this.api.replace(state.resourceVersion, this.write(state.acquiredAtMs ?? now, now, state.transitions));
      if (renewed !== 'conflict' && renewed !== 'gone') {
        this.state = renewed;
        this.renewedMono = this.o.clock.now();
        return;
      }
      // someone else wrote it: still ours (a retry will do) or another run's now
      const fresh = await this.api.read();
      if (fresh && fresh.holder === this.o.runId) this.state = fresh;
      else this.lose(fresh ? `taken by ${fresh.holder ? describeHolder(leaseHolder(fresh)!) : 'nobody (released by someone else)'}` : 'deleted by someone else');
    } catch (err) {
      this.o.log.warn({ lease: this.api.where, err: errorMessage(err) }, 'run lease renewal failed');
      try {
        this.check();
      } catch {
        // lost: check() recorded it
      }
    }
  }

  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.record.lost = { at: iso(this.o.clock.wallNow()), reason };
    this.o.log.error({ lease: this.api.where, reason }, 'run lease lost: no further faults are injected');
    this.o.notify?.(`LEASE LOST: the run lost its cluster lease ${this.api.where} (${reason}); no further fault is injected`);
  }

  private reportTakeover(h: LeaseHolder): void {
    this.record.takenOver = { runId: h.runId, host: h.host, ...(h.pid !== null ? { pid: h.pid } : {}), startedAt: h.startedAt, expiredAt: iso(h.expiresAtMs) };
    this.o.log.warn({ lease: this.api.where, previous: h }, 'run lease taken over from a run that stopped renewing it');
    this.o.notify?.(`took over the run lease ${this.api.where} from ${describeHolder(h)}: it expired at ${iso(h.expiresAtMs)} (that run crashed or lost the cluster; its faults are checked next)`);
  }

  private write(acquiredAtMs: number, renewedAtMs: number, transitions: number): LeaseWrite {
    const id = this.o.identity ?? { host: os.hostname(), pid: process.pid, crtVersion };
    return {
      holder: this.o.runId, durationSec: this.durationSec, acquiredAtMs, renewedAtMs, transitions,
      annotations: {
        [ANNOTATION.host]: id.host, [ANNOTATION.pid]: String(id.pid), [ANNOTATION.crtVersion]: id.crtVersion,
        [ANNOTATION.startedAt]: this.state?.annotations[ANNOTATION.startedAt] ?? iso(acquiredAtMs),
      },
    };
  }
}

function refusal(h: LeaseHolder, nowMs: number, where: string): EnvironmentError {
  return new EnvironmentError(`another crt run holds this cluster: ${describeHolder(h)}; its lease ${where} ${describeExpiry(h, nowMs)}`, {
    hint: `one run per cluster: wait until run ${h.runId} ends, or stop it. If it crashed, its lease lapses by itself ${RUN_LEASE_DURATION_SEC} s after its last renewal; run again then (its faults: crt revert --list)`,
  });
}

function noNamespace(namespace: string, where: string): EnvironmentError {
  return new EnvironmentError(`the journal namespace ${namespace} does not exist (cannot create the run lease ${where})`, {
    hint: `create it (kubectl create namespace ${namespace}) or set cluster.journalNamespace in the plan to an existing namespace`,
  });
}

/** The Status message of a failed API call, or the error's message. */
function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? `${message} (HTTP ${err.code})` : `HTTP ${err.code}`;
  }
  return errorMessage(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
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
  const status = (err: unknown): number | undefined => (err instanceof ApiException ? err.code : undefined);
  return {
    where: `${namespace}/${name} at ${kube.server}`,
    async read() {
      try {
        return leaseState(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (status(err) === 404) return null;
        throw err;
      }
    },
    async create(w) {
      try {
        return leaseState(await api.createNamespacedLease({ namespace, body: leaseObject(namespace, w) }));
      } catch (err) {
        if (status(err) === 409) return 'exists';
        // 404 on a create: the namespace is missing (a server without Leases is no Kubernetes crt supports)
        if (status(err) === 404) return 'no-namespace';
        throw err;
      }
    },
    async replace(resourceVersion, w) {
      try {
        return leaseState(await api.replaceNamespacedLease({ name, namespace, body: leaseObject(namespace, w, resourceVersion) }));
      } catch (err) {
        if (status(err) === 409) return 'conflict';
        if (status(err) === 404) return 'gone';
        throw err;
      }
    },
    async delete(resourceVersion) {
      try {
        await api.deleteNamespacedLease({ name, namespace, body: { preconditions: { resourceVersion } } });
        return 'deleted';
      } catch (err) {
        if (status(err) === 409) return 'conflict';
        if (status(err) === 404) return 'gone';
        throw err;
      }
    },
  };
}

/**
 * The run in progress on a cluster (its lease is live), for `crt revert`, which must not revert under
 * it. Throws an EnvironmentError when the lease cannot be read: then nobody can tell.
 */
export async function runInProgress(kube: KubeClients, namespace: string, nowMs: number): Promise<LeaseHolder | null> {
  const api = kubeLeaseApi(kube, namespace);
  try {
    return liveHolder(await api.read(), nowMs);
  } catch (err) {
    throw new EnvironmentError(`cannot read the run lease ${api.where}, so a run in progress cannot be told apart: ${apiMessage(err)}`, {
      hint: `crt revert needs get on leases (coordination.k8s.io) in ${namespace}; --force reverts without looking`,
    });
  }
}
