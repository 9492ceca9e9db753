import { ApiError, toPartialObjectMetadataList, toTable, type KObject, type ResourceType } from '../api/index.js';

/** What representation a client asked for in its Accept header. */
export type Representation = 'object' | 'table' | 'metadata';

/**
 * kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` (then plain JSON as fallback) when it
 * prints, and for `as=PartialObjectMetadataList` in some commands; everything else is plain JSON. A client
 * that accepts only protobuf gets 406, since the embedded cluster speaks JSON only.
 */
export function representation(accept: string | undefined): Representation {
  if (!accept) return 'object';
  const options = accept.split(',').map((s) => s.trim().toLowerCase());
  for (const option of options) {
    const [mime, ...params] = option.split(';').map((s) => s.trim());
    if (mime !== 'application/json' && mime !== '*/*' && mime !== 'application/*') continue;
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const group = params.find((p) => p.startsWith('g='))?.slice(2);
    if (!as) return 'object';
    if (group !== 'meta.k8s.io') continue;
    if (as === 'table') return 'table';
    if (as === 'partialobjectmetadatalist' || as === 'partialobjectmetadata') return 'metadata';
  }
  if (options.some((o) => o.startsWith('application/json') || o.startsWith('*/*'))) return 'object';
  throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`);
}

/** A list answer in the asked representation. */
export function renderList(resource: ResourceType, items: KObject[], resourceVersion: string, rep: Representation, query: URLSearchParams, nowMs: number, cont?: string): unknown {
  if (rep === 'table') return toTable(resource, items, { nowMs, includeObject: includeObject(query), resourceVersion });
  if (rep === 'metadata') return toPartialObjectMetadataList(items, resourceVersion);
  return {
    kind: resource.listKind,
    apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
    metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) },
    items,
  };
}

/** A single object in the asked representation. */
export function renderObject(resource: ResourceType, obj: KObject, rep: Representation, query: URLSearchParams, nowMs: number): unknown {
  if (rep === 'table') return toTable(resource, [obj], { nowMs, includeObject: includeObject(query), resourceVersion: obj.metadata.resourceVersion! });
  if (rep === 'metadata') return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  return obj;
}

function includeObject(query: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
