import type { V1ConfigMap } from '@kubernetes/client-node';
import { RUN_ID_LABEL, labelValue, type KubeClients } from '../kube/index.js';
import { apiMessage, apiStatus } from './kube-common.js';
import { isOutstanding, latestEntries, parseJournal, type JournalEntry, type JournalStore } from './journal.js';

/** Label of the journal ConfigMaps, so that `crt revert` and `crt run` find every run's journal. */
export const JOURNAL_LABEL = 'crt.io/journal';
/** Namespace of the journal ConfigMaps unless the plan says (`cluster.journalNamespace`). */
export const DEFAULT_JOURNAL_NAMESPACE = 'default';
/**
 * The most a journal ConfigMap's data may hold. The API server refuses a ConfigMap whose data passes
 * 1 MiB (1,048,576 bytes); crt stops well before, leaving room for the metadata and the next states.
 */
export const JOURNAL_MAX_BYTES = 900 * 1024;
/** How long the journal of a fully reverted run stays in the cluster before `crt run` or `crt revert` deletes it. */
export const JOURNAL_RETENTION_MS = 24 * 3_600_000;
/** Set on a journal with nothing left to revert, with the instant after which it may be deleted. */
export const JOURNAL_EXPIRES_ANNOTATION = 'crt.io/expires-at';
const DONE_LABEL = 'crt.io/journal-done';
const DATA_KEY = 'journal.jsonl';
/** The run a journal ConfigMap belongs to, exactly (its name is a slug of it). */
const RUN_ID_ANNOTATION = 'crt.io/run-id';
const CONFLICT_RETRIES = 5;
/** what a finished entry keeps of its detail and targets */
const STUB_DETAIL_CHARS = 300;
const STUB_TARGETS = 10;

/** `crt-journal-<run-id>` as a valid object name (DNS subdomain, at most 253 characters). */
export function journalConfigMapName(runId: string): string {
  const slug = runId.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `crt-journal-${slug || 'run'}`.slice(0, 253);
}

/** The cluster's journal would pass JOURNAL_MAX_BYTES: nothing was written, and the fault is not injected. */
export class JournalFullError extends Error {
  constructor(readonly configMap: string, readonly bytes: number) {
    super(`journal ConfigMap ${configMap} would hold ${kib(bytes)} KiB, over the ${kib(JOURNAL_MAX_BYTES)} KiB crt allows below the API server's 1 MiB limit for a ConfigMap; ` +
      'it keeps each fault still to revert in full (pod templates, policies): revert some (revertAfter) before injecting more, or split the run');
    this.name = 'JournalFullError';
  }
}

const kib = (bytes: number) => (bytes / 1024).toFixed(0);

/**
 * A run's journal as the cluster keeps it: the latest state of each entry, in the order of their
 * intents. An entry with nothing left to revert (reverted, or without a revert) keeps only what
 * lists and reports need: its revert record (a pod template, policies) is dropped. So the
 * ConfigMap holds each outstanding revert once, whatever the number of states written, and grows
 * by a few hundred bytes per finished fault.
 */
export function compactJournal(entries: readonly JournalEntry[]): JournalEntry[] {
  // a journal of an older crt holds every state, the intent first: its time is kept as intendedAt
  const intents = new Map<string, string>();
  for (const e of entries) if (!intents.has(e.id)) intents.set(e.id, e.intendedAt ?? e.at);
  return latestEntries(entries).map((e) => {
    const dated = { ...e, intendedAt: e.intendedAt ?? intents.get(e.id) ?? e.at };
    return isOutstanding(dated) ? dated : finished(dated);
  });
}

function finished(e: JournalEntry): JournalEntry {
  const targets = e.targets.length > STUB_TARGETS ? [...e.targets.slice(0, STUB_TARGETS), `… ${e.targets.length - STUB_TARGETS} more`] : e.targets;
  return { ...e, targets, revert: null, ...(e.detail ? { detail: e.detail.slice(0, STUB_DETAIL_CHARS) } : {}) };
}

/**
 * The journal in the cluster: ConfigMap `crt-journal-<run-id>` holds the latest state of each of
 * the run's entries (compactJournal), so `crt revert` can undo a crashed run's faults from another
 * machine (the next CI job). Each write is a read-modify-write guarded by the resourceVersion (409:
 * read again), refused before it passes JOURNAL_MAX_BYTES. The annotation `crt.io/outstanding`
 * counts what is still to revert, for `kubectl get cm -L`; a journal with nothing left gets the
 * label `crt.io/journal-done` and an expiry (`crt.io/expires-at`), after which the next `crt run`
 * or `crt revert` deletes it (deleteExpiredJournals).
 */
export class ConfigMapJournalStore implements JournalStore {
  readonly name = 'configmap';
  readonly configMap: string;
  /**
   * this process' writes, one after the other: faults injected at the same instant would otherwise race
   * each other's read-modify-write, and with four of them a write could lose more rounds of 409 than
   * it retries (409 is left for another process, crt revert from elsewhere)
   */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kube: KubeClients,
    readonly namespace: string,
    private readonly runId: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.configMap = journalConfigMapName(runId);
  }

  append(entry: JournalEntry): Promise<void> {
    const write = this.writes.then(() => this.write(entry));
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async write(entry: JournalEntry): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await this.read();
        const owner = current?.metadata?.annotations?.[RUN_ID_ANNOTATION];
        // run ids differing only in case or `_`/`-` share a name: never mix two runs' entries in one journal
        if (owner && owner !== this.runId) throw new Error(`it holds the journal of run ${owner}, not ${this.runId}`);
        const entries = compactJournal([...parseJournal(current?.data?.[DATA_KEY] ?? ''), entry]);
        const text = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
        const bytes = Buffer.byteLength(text, 'utf8');
        if (bytes > JOURNAL_MAX_BYTES) throw new JournalFullError(`${this.namespace}/${this.configMap}`, bytes);
        const body = this.body(text, entries, current?.metadata?.resourceVersion);
        if (!current) await this.kube.core.createNamespacedConfigMap({ namespace: this.namespace, body });
        else await this.kube.core.replaceNamespacedConfigMap({ name: this.configMap, namespace: this.namespace, body });
        return;
      } catch (err) {
        if (err instanceof JournalFullError) throw err;
        // 409: another writer (crt revert from elsewhere) came first, or the create raced: read again
        if (apiStatus(err) === 409 && attempt < CONFLICT_RETRIES) continue;
        throw new Error(`journal ConfigMap ${this.namespace}/${this.configMap}: ${apiMessage(err)}`, { cause: err });
      }
    }
  }

  private async read(): Promise<V1ConfigMap | null> {
    try {
      return await this.kube.core.readNamespacedConfigMap({ name: this.configMap, namespace: this.namespace });
    } catch (err) {
      if (apiStatus(err) === 404) return null;
      throw err;
    }
  }

  private body(text: string, entries: readonly JournalEntry[], resourceVersion?: string): V1ConfigMap {
    const outstanding = entries.filter(isOutstanding).length;
    const done: { labels: Record<string, string>; annotations: Record<string, string> } = outstanding === 0
      ? { labels: { [DONE_LABEL]: 'true' }, annotations: { [JOURNAL_EXPIRES_ANNOTATION]: new Date(this.nowMs() + JOURNAL_RETENTION_MS).toISOString() } }
      : { labels: {}, annotations: {} };
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.configMap,
        namespace: this.namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: { [JOURNAL_LABEL]: 'true', [RUN_ID_LABEL]: labelValue(this.runId), 'app.kubernetes.io/managed-by': 'crt', ...done.labels },
        annotations: { [RUN_ID_ANNOTATION]: this.runId, 'crt.io/outstanding': String(outstanding), ...done.annotations },
      },
      data: { [DATA_KEY]: text },
    };
  }
}

export interface ClusterJournal {
  namespace: string;
  name: string;
  runId: string;
  entries: JournalEntry[];
  /** the ConfigMap's resourceVersion: a deletion is conditioned on it */
  resourceVersion: string;
  /** when a journal with nothing left to revert may be deleted (absent: it still has faults to revert, or an older crt wrote it) */
  expiresAt: number | null;
}

/** The journals held by a cluster: every `crt.io/journal` ConfigMap of the namespace (all namespaces when null). */
export async function clusterJournals(kube: KubeClients, namespace: string | null): Promise<ClusterJournal[]> {
  const list = namespace
    ? await kube.core.listNamespacedConfigMap({ namespace, labelSelector: JOURNAL_LABEL })
    : await kube.core.listConfigMapForAllNamespaces({ labelSelector: JOURNAL_LABEL });
  return list.items.map((cm) => {
    const entries = parseJournal(cm.data?.[DATA_KEY] ?? '');
    const expires = Date.parse(cm.metadata?.annotations?.[JOURNAL_EXPIRES_ANNOTATION] ?? '');
    return {
      namespace: cm.metadata?.namespace ?? '',
      name: cm.metadata?.name ?? '',
      runId: cm.metadata?.annotations?.[RUN_ID_ANNOTATION] ?? entries[0]?.runId ?? cm.metadata?.name ?? '',
      entries,
      resourceVersion: cm.metadata?.resourceVersion ?? '',
      expiresAt: Number.isFinite(expires) ? expires : null,
    };
  });
}

/**
 * Deletes the journals whose runs are fully reverted and whose expiry has passed: nothing in their
 * entries is outstanding (read from the entries, not from the label), and the deletion is conditioned
 * on the resourceVersion read, so a journal written since (a run resumed, a revert recorded) is kept.
 * Returns the `<namespace>/<name>` of each journal deleted; one that cannot be deleted is left for the next time.
 */
export async function deleteExpiredJournals(kube: KubeClients, journals: readonly ClusterJournal[], nowMs: number, onError?: (journal: string, err: unknown) => void): Promise<string[]> {
  const deleted: string[] = [];
  for (const j of journals) {
    if (j.expiresAt === null || j.expiresAt > nowMs || latestEntries(j.entries).some(isOutstanding)) continue;
    try {
      await kube.core.deleteNamespacedConfigMap({ name: j.name, namespace: j.namespace, body: { preconditions: { resourceVersion: j.resourceVersion } } });
      deleted.push(`${j.namespace}/${j.name}`);
    } catch (err) {
      // 404: gone already; 409: written since it was read (its resourceVersion moved), so kept
      if (apiStatus(err) !== 404 && apiStatus(err) !== 409) onError?.(`${j.namespace}/${j.name}`, err);
    }
  }
  return deleted;
}
