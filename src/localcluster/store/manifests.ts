import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { ApiError, type KObject, type ResourceRegistry } from '../api/index.js';
import type { Store } from './store.js';
import { ManifestError } from './manifest-error.js';

export interface AppliedObject {
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
}

/** Reads a multi-document manifest file into objects, with the file and document number in errors. */
export async function readManifests(file: string): Promise<KObject[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ManifestError(`cannot read manifest ${file}: ${err.code ?? err.message}`, { hint: 'paths in cluster.local.manifests are relative to the plan file' });
  });
  const objects: KObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length) throw new ManifestError(`${file}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value) || !('kind' in value)) {
      throw new ManifestError(`${file}: document ${i + 1} is not a Kubernetes object (no kind)`);
    }
    const obj = value as KObject;
    if (obj.kind === 'List' && Array.isArray(obj.items)) objects.push(...(obj.items as KObject[]));
    else objects.push(obj);
  }
  return objects;
}

/**
 * Creates or updates objects in order, as `kubectl apply` would for a fresh cluster (namespaces first).
 * An update keeps what the cluster owns (status, allocated IPs) and replaces the rest.
 */
export function applyObjects(store: Store, registry: ResourceRegistry, objects: KObject[], source = 'manifest'): AppliedObject[] {
  const ordered = [...objects].sort((a, b) => rank(a) - rank(b));
  return ordered.map((input) => {
    let obj = input;
    const resource = registry.byKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!resource) throw new ManifestError(`${source}: ${obj.apiVersion}/${obj.kind} "${obj.metadata?.name}" is not served by the embedded cluster`, { hint: `it serves: ${registry.all().map((r) => r.kind).join(', ')}` });
    const ns = resource.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    obj = withLastApplied(obj);
    const name = obj.metadata?.name ?? '';
    try {
      const existing = store.peek(resource.key, ns, name);
      if (!existing) {
        store.create(resource.key, ns, obj);
        return { kind: obj.kind, ...(ns ? { namespace: ns } : {}), name, action: 'created' as const };
      }
      const next = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } } as KObject;
      if (resource.key === 'services') next.spec = { ...next.spec, clusterIP: existing.spec.clusterIP, clusterIPs: existing.spec.clusterIPs };
      const updated = store.update(resource.key, ns, name, next);
      return { kind: obj.kind, ...(ns ? { namespace: ns } : {}), name, action: updated.metadata.resourceVersion === existing.metadata.resourceVersion ? 'unchanged' as const : 'configured' as const };
    } catch (err) {
      if (err instanceof ApiError) throw new ManifestError(`${source}: ${obj.kind} "${name}": ${err.message}`);
      throw err;
    }
  });
}

/** What `kubectl apply` records, so that a later `kubectl apply` of the same manifests computes its patch cleanly. */
function withLastApplied(obj: KObject): KObject {
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  const recorded = JSON.stringify({ ...obj, metadata: { ...obj.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) } });
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...annotations, [LAST_APPLIED]: recorded } } };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function rank(obj: KObject): number {
  return obj.kind === 'Namespace' ? 0 : obj.kind === 'ConfigMap' ? 1 : obj.kind === 'Service' ? 2 : 3;
}
