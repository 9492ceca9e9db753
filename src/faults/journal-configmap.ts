import type { V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/index.js';
import { apiMessage, apiStatus } from './kube-common.js';
import { outstandingEntries, parseJournal, type JournalEntry, type JournalStore } from './journal.js';
import { RUN_ID_LABEL, labelValue } from './network-cut.js';

/** Label of the journal ConfigMaps, so that `crt revert` and `crt run` find every run's journal. */
export const JOURNAL_LABEL = 'crt.io/journal';
/** Namespace of the journal ConfigMaps unless the plan says (`cluster.journalNamespace`). */
export const DEFAULT_JOURNAL_NAMESPACE = 'default';
const DATA_KEY = 'journal.jsonl';
/** The run a journal ConfigMap belongs to, exactly (its name is a slug of it). */
const RUN_ID_ANNOTATION = 'crt.io/run-id';
const CONFLICT_RETRIES = 5;

/** `crt-journal-<run-id>` as a valid object name (DNS subdomain, at most 253 characters). */
export function journalConfigMapName(runId: string): string {
  const slug = runId.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `crt-journal-${slug || 'run'}`.slice(0, 253);
}

/**
 * The journal in the cluster: ConfigMap `crt-journal-<run-id>` holds the same lines as the run
 * folder's `journal.jsonl`, so `crt revert` can undo a crashed run's faults from another machine
 * (the next CI job). Each append is a read-modify-write guarded by the resourceVersion (409: read
 * again); the annotation `crt.io/outstanding` counts what is still to revert, for `kubectl get cm -L`.
 */
export class ConfigMapJournalStore implements JournalStore {
  readonly name = 'configmap';
  readonly configMap: string;

  constructor(
    private readonly kube: KubeClients,
    readonly namespace: string,
    private readonly runId: string,
  ) {
    this.configMap = journalConfigMapName(runId);
  }

  async append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await this.read();
        const owner = current?.metadata?.annotations?.[RUN_ID_ANNOTATION];
        // run ids differing only in case or `_`/`-` share a name: never mix two runs' entries in one journal
        if (owner && owner !== this.runId) throw new Error(`it holds the journal of run ${owner}, not ${this.runId}`);
        if (!current) {
          await this.kube.core.createNamespacedConfigMap({ namespace: this.namespace, body: this.body(line) });
        } else {
          const text = (current.data?.[DATA_KEY] ?? '') + line;
          await this.kube.core.replaceNamespacedConfigMap({ name: this.configMap, namespace: this.namespace, body: this.body(text, current.metadata?.resourceVersion) });
        }
        return;
      } catch (err) {
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

  private body(text: string, resourceVersion?: string): V1ConfigMap {
    const outstanding = outstandingEntries(parseJournal(text)).length;
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.configMap,
        namespace: this.namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: { [JOURNAL_LABEL]: 'true', [RUN_ID_LABEL]: labelValue(this.runId), 'app.kubernetes.io/managed-by': 'crt' },
        annotations: { [RUN_ID_ANNOTATION]: this.runId, 'crt.io/outstanding': String(outstanding) },
      },
      data: { [DATA_KEY]: text },
    };
  }
}

/** The journals held by a cluster: every `crt.io/journal` ConfigMap of the namespace (all namespaces when null). */
export async function clusterJournals(kube: KubeClients, namespace: string | null): Promise<Array<{ namespace: string; name: string; runId: string; entries: JournalEntry[] }>> {
  const list = namespace
    ? await kube.core.listNamespacedConfigMap({ namespace, labelSelector: JOURNAL_LABEL })
    : await kube.core.listConfigMapForAllNamespaces({ labelSelector: JOURNAL_LABEL });
  return list.items.map((cm) => {
    const entries = parseJournal(cm.data?.[DATA_KEY] ?? '');
    return {
      namespace: cm.metadata?.namespace ?? '',
      name: cm.metadata?.name ?? '',
      runId: cm.metadata?.annotations?.[RUN_ID_ANNOTATION] ?? entries[0]?.runId ?? cm.metadata?.name ?? '',
      entries,
    };
  });
}
