import os from 'node:os';
import { EnvironmentError, answerWithin, crtVersion, errorMessage, type Clock, type Logger } from '../core/index.js';
import { apiMessage, isApiUnavailable, type KubeClients } from '../kube/index.js';
import type { CaseSpec } from '../plan/index.js';
import type { ClusterLeaseRecord } from '../results/index.js';
import { ANNOTATION, RUN_LEASE_DURATION_SEC, RUN_LEASE_NAME, kubeLeaseApi, type LeaseApi, type LeaseState, type LeaseWrite } from './lease-api.js';

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
  /** since when renewals fail (the API unavailable), and whether the lease lapsed meanwhile (unconfirmed) */
  private failingSince: number | null = null;
  private unconfirmed = false;
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
    this.noteLapse();
    if (this.lostReason) {
      throw new EnvironmentError(`the run lost its cluster lease ${this.api.where}: ${this.lostReason}`, { hint: 'no further fault is injected; faults already in place are reverted' });
    }
    if (this.unconfirmed) {
      throw new EnvironmentError(`the run cannot confirm its cluster lease ${this.api.where}: API unavailable since ${iso(this.failingSince ?? this.o.clock.wallNow())}`, {
        hint: 'no fault is injected until a renewal confirms the lease (the API answers again)',
      });
    }
    if (!this.state) throw new EnvironmentError(`the run does not hold its cluster lease ${this.api.where}`);
  }

  /**
   * A lease not renewed for its whole duration is lost: another run may have taken it by now. Unless the
   * renewals failed because the API was unavailable (a control-plane fault, an outage): then nobody could
   * take it either, and it is only unconfirmed — no fault is injected until a renewal, written with the
   * lease's resourceVersion, proves nobody took it meanwhile (or finds it taken: lost).
   */
  private noteLapse(): void {
    if (this.lostReason || !this.state || this.o.clock.now() - this.renewedMono < this.durationSec * 1000) return;
    if (this.failingSince === null) {
      this.lose(`not renewed for ${this.durationSec} s (its duration): another run may hold the cluster now`);
      return;
    }
    if (this.unconfirmed) return;
    this.unconfirmed = true;
    this.o.log.warn({ lease: this.api.where, since: iso(this.failingSince) }, 'run lease unconfirmed: API unavailable');
    this.o.notify?.(`run lease ${this.api.where} not renewed for ${this.durationSec} s: API unavailable since ${iso(this.failingSince)}; no fault is injected until the API answers and a renewal confirms the lease`);
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
    while (!this.lostReason && !this.stopper.signal.aborted) {
      try {
        await this.o.clock.sleep(this.nextRenewalMs(), this.stopper.signal);
      } catch {
        return; // released
      }
      await this.renew();
    }
  }

  /** How long until the next renewal: a third of the duration, or a second while the API is unavailable. */
  private nextRenewalMs(): number {
    return this.failingSince === null ? (this.durationSec * 1000) / 3 : Math.min(1000, (this.durationSec * 1000) / 3);
  }

  private async renew(): Promise<void> {
    const state = this.state;
    if (!state) return;
    const now = this.o.clock.wallNow();
    try {
      const renewed = await this.answered(this.api.replace(state.resourceVersion, this.write(state.acquiredAtMs ?? now, now, state.transitions)));
      if (renewed !== 'conflict' && renewed !== 'gone') {
        this.state = renewed;
        this.renewedMono = this.o.clock.now();
        this.confirmed();
        return;
      }
      // someone else wrote it: still ours (a retry will do) or another run's now
      const fresh = await this.api.read();
      if (fresh && fresh.holder === this.o.runId) this.state = fresh;
      else this.lose(fresh ? `taken by ${fresh.holder ? describeHolder(leaseHolder(fresh)!) : 'nobody (released by someone else)'}` : 'deleted by someone else');
    } catch (err) {
      this.o.log.warn({ lease: this.api.where, err: errorMessage(err) }, 'run lease renewal failed');
      if (isApiUnavailable(err)) this.failingSince ??= now;
      this.noteLapse();
    }
  }

  /**
   * A renewal the API does not answer within a third of the lease's duration (an API server without its
   * etcd quorum holds writes for up to a minute) counts as unavailable; if it lands later, it was
   * written with this run's resourceVersion, and the next renewal's conflict finds the lease still this run's.
   */
  private answered<T>(call: Promise<T>): Promise<T> {
    return answerWithin(this.o.clock, (this.durationSec * 1000) / 3, call);
  }


  /** A renewal went through: the API answers again, and the lease is (still) this run's. */
  private confirmed(): void {
    if (this.failingSince !== null && this.unconfirmed) {
      this.o.notify?.(`run lease ${this.api.where} confirmed again: the API answered after ${Math.round((this.o.clock.wallNow() - this.failingSince) / 1000)} s unavailable, and nobody took the lease meanwhile`);
    }
    this.failingSince = null;
    this.unconfirmed = false;
  }

  private lose(reason: string): void {
    this.unconfirmed = false;
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


function iso(ms: number): string {
  return new Date(ms).toISOString();
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


