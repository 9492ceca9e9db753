import { describeCluster, sameCluster, type ClusterIdentity } from '../kube/index.js';
import type { JournalEntry } from './journal.js';

/**
 * The two copies of a run's journal as one: the cluster's ConfigMap is the source of truth for every
 * entry it holds (all its states, the file's ignored: a file left behind by a crash, or copied from
 * another machine, may be stale), and the run folder's file only adds the entries the ConfigMap lacks
 * (a run whose ConfigMap writes failed, a fault of a run without one). Entries come in the order they
 * were first written (their intent), so that reverting newest first stays right; not by the time of
 * their latest state, which would let a stale `revert-failed` of the file reopen what the cluster
 * records as reverted.
 */
export function mergeJournals(configMap: readonly JournalEntry[], file: readonly JournalEntry[]): JournalEntry[] {
  const inCluster = new Set(configMap.map((e) => e.id));
  const groups = new Map<string, JournalEntry[]>();
  for (const e of [...configMap, ...file.filter((f) => !inCluster.has(f.id))]) {
    const group = groups.get(e.id);
    if (group) group.push(e);
    else groups.set(e.id, [e]);
  }
  // a compacted journal (the cluster's) keeps only an entry's latest state: its intent time is intendedAt
  const firstAt = (g: JournalEntry[]) => g.reduce((min, e) => {
    const at = e.intendedAt ?? e.at;
    return at < min ? at : min;
  }, g[0]!.intendedAt ?? g[0]!.at);
  return [...groups.values()].sort((a, b) => firstAt(a).localeCompare(firstAt(b))).flat();
}

/**
 * Entries a cluster's own ConfigMap holds without an identity (journaled by a crt older than
 * identities) acted on that cluster: the ConfigMap journal was written only through the run's own
 * cluster clients. They take its identity; the same entries in a run folder's file stay unknown.
 */
export function adoptCluster(entries: readonly JournalEntry[], cluster: ClusterIdentity): JournalEntry[] {
  return entries.map((e) => (e.cluster === undefined ? { ...e, cluster } : e));
}

/**
 * Where an entry may be reverted from a connection to `connected` (undefined: no cluster):
 * - `here`: it acts on this cluster;
 * - `local`: it acts on this machine only (a fault of a run without a cluster), revertible anywhere;
 * - `elsewhere`: it belongs to another cluster (or to one crt is not connected to), never touched;
 * - `unknown`: journaled by an older crt, its cluster unknown: reverted only with --force.
 */
export type EntryScope = { kind: 'here' } | { kind: 'local' } | { kind: 'elsewhere'; cluster: ClusterIdentity } | { kind: 'unknown' };

export function entryScope(e: JournalEntry, connected: ClusterIdentity | undefined): EntryScope {
  if (e.cluster === null) return { kind: 'local' };
  if (e.cluster === undefined) return { kind: 'unknown' };
  if (connected && sameCluster(e.cluster, connected)) return { kind: 'here' };
  return { kind: 'elsewhere', cluster: e.cluster };
}

/** `belongs to cluster https://… (uid)`, or why an entry is refused, for lists and messages. */
export function describeScope(s: EntryScope): string {
  switch (s.kind) {
    case 'here':
      return 'this cluster';
    case 'local':
      return 'this machine (no cluster)';
    case 'elsewhere':
      return `belongs to cluster ${describeCluster(s.cluster)}`;
    case 'unknown':
      return 'unknown cluster (journaled by an older crt)';
  }
}
