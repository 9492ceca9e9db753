import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ClusterIdentity } from '../kube/index.js';
import type { RevertRecord } from './fault.js';

export type JournalStatus = 'intended' | 'applied' | 'apply-failed' | 'reverted' | 'revert-failed';

/** A line of `journal.jsonl`: the states of an injection, appended as they happen. */
export interface JournalEntry {
  id: string;
  runId: string;
  caseId: string;
  step: string;
  fault: string;
  at: string;
  /**
   * When the entry was first written (its intent). The cluster's journal keeps only the latest state
   * of each entry, so the order of intents (reverts go newest first) is read from here. Absent in
   * entries of an older crt, whose journals keep every state, the intent first.
   */
  intendedAt?: string;
  status: JournalStatus;
  summary: string;
  targets: string[];
  revert: RevertRecord | null;
  detail?: string;
  /**
   * The cluster the entry acts on. null: a fault of a run without a cluster (an exec acting on this
   * machine only), revertible anywhere. Absent: journaled by a crt older than cluster identities.
   */
  cluster?: ClusterIdentity | null;
}

/** The lines of a journal (file or ConfigMap); a torn last line (crash mid-write) is skipped. */
export function parseJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // a line cut by a crash: its entry was not acted upon after it (journal first, then act)
    }
  }
  return out;
}

/** The latest state of each entry, in the order the entries were first written. */
export function latestEntries(entries: readonly JournalEntry[]): JournalEntry[] {
  const latest = new Map<string, JournalEntry>();
  for (const e of entries) latest.set(e.id, e);
  return [...latest.values()];
}

/**
 * Entries still to revert: their last state is `intended` (crt may have died mid-change),
 * `applied` or `revert-failed`, and they have a revert.
 */
export function outstandingEntries(entries: readonly JournalEntry[]): JournalEntry[] {
  return latestEntries(entries).filter(isOutstanding);
}

/** Whether an entry's latest state still has something to revert. */
export function isOutstanding(e: JournalEntry): boolean {
  return e.revert !== null && (e.status === 'intended' || e.status === 'applied' || e.status === 'revert-failed');
}

/** Where journal entries are kept. The run folder's file now; the cluster's ConfigMap too when faults touch a cluster. */
export interface JournalStore {
  readonly name: string;
  append(entry: JournalEntry): Promise<void>;
}

/** Appends each entry and fsyncs it before returning: the entry survives a crash right after. */
export class FileJournalStore implements JournalStore {
  readonly name = 'file';
  constructor(private readonly file: string) {}

  async append(entry: JournalEntry): Promise<void> {
    const fd = openSync(this.file, 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The revert journal: every injection is recorded with its revert **before** it touches
 * anything, then its outcome, then its revert. Entries whose last state is `intended`,
 * `applied` or `revert-failed` and that have a revert are outstanding.
 */
export class Journal {
  private readonly latest = new Map<string, JournalEntry>();
  private readonly stores: JournalStore[];
  /** stamped on every new entry once bound (bindCluster); unbound, entries carry none and count as unknown */
  private cluster: ClusterIdentity | null | undefined;

  constructor(
    private readonly runId: string,
    stores: readonly JournalStore[],
    private readonly now: () => Date = () => new Date(),
    /** entries already written (a journal resumed by `crt revert`) */
    existing: readonly JournalEntry[] = [],
  ) {
    this.stores = [...stores];
    for (const e of existing) this.latest.set(e.id, e);
  }

  /** Adds a store (the cluster's ConfigMap, once the cluster is open); later entries go there too. */
  addStore(store: JournalStore): void {
    this.stores.push(store);
  }

  /** The cluster the run acts on (null: none, its faults act on this machine). Called once the cluster is open, before any intent. */
  bindCluster(cluster: ClusterIdentity | null): void {
    this.cluster = cluster;
  }

  get storeNames(): string[] {
    return this.stores.map((s) => s.name);
  }

  /**
   * Records an intent in every store. When a store refuses it (the cluster's journal is full or cannot
   * be written), the fault is not injected: the stores that took the intent are told so (`apply-failed`,
   * nothing to revert), and the error is thrown.
   */
  async intend(e: Pick<JournalEntry, 'caseId' | 'step' | 'fault' | 'summary' | 'targets' | 'revert'>): Promise<string> {
    const id = randomUUID();
    const cluster = this.cluster !== undefined ? { cluster: this.cluster } : {};
    const at = this.now().toISOString();
    const entry: JournalEntry = { ...e, id, runId: this.runId, at, intendedAt: at, status: 'intended', ...cluster };
    this.latest.set(id, entry);
    const took: JournalStore[] = [];
    for (const store of this.stores) {
      try {
        await store.append(entry);
        took.push(store);
      } catch (err) {
        const refused: JournalEntry = { ...entry, at: this.now().toISOString(), status: 'apply-failed', detail: `not injected: the ${store.name} journal refused the intent (${err instanceof Error ? err.message : String(err)})` };
        this.latest.set(id, refused);
        for (const s of took) await s.append(refused).catch(() => undefined);
        throw err;
      }
    }
    return id;
  }

  /**
   * A new state of an entry. `set` (what the fault set, known once it acted: a template's hash, a
   * policy's resourceVersion) goes into the revert record's `set`, compared before the revert.
   */
  async mark(id: string, status: Exclude<JournalStatus, 'intended'>, detail?: string, set?: Record<string, unknown>): Promise<void> {
    const prev = this.entry(id);
    await this.write({ ...prev, at: this.now().toISOString(), status, ...(detail ? { detail } : { detail: undefined }), revert: withSet(prev.revert, set) });
  }

  /** Records what the fault set as soon as it acted, status unchanged: a crash while it waits for the effect keeps it. */
  async recordSet(id: string, set: Record<string, unknown>): Promise<void> {
    const prev = this.entry(id);
    await this.write({ ...prev, at: this.now().toISOString(), revert: withSet(prev.revert, set) });
  }

  /** The latest state of an entry. */
  entry(id: string): JournalEntry {
    const prev = this.latest.get(id);
    if (!prev) throw new Error(`journal: unknown entry ${id}`);
    return prev;
  }

  outstanding(): JournalEntry[] {
    return outstandingEntries([...this.latest.values()]);
  }

  private async write(entry: JournalEntry): Promise<void> {
    this.latest.set(entry.id, entry);
    for (const store of this.stores) await store.append(entry);
  }
}

function withSet(revert: RevertRecord | null, set: Record<string, unknown> | undefined): RevertRecord | null {
  if (!revert || !set) return revert;
  return { ...revert, set: { ...revert.set, ...set } };
}
