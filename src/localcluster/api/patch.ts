/**
 * PATCH bodies as the API server applies them: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and the
 * strategic merge patch kubectl sends for built-in kinds. Server-side apply is not offered: clients are told
 * to use client-side `kubectl apply`, which only needs strategic merge.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { ApiError, type KObject } from './types.js';

type Json = unknown;
type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Patch `target` as `contentType` says, returning a new object; `target` is never mutated. */
export function applyPatch(target: KObject, contentType: string, patch: unknown): KObject {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  switch (mediaType) {
    case 'application/json-patch+json':
      return applyJsonPatch(target, decode(patch));
    case 'application/merge-patch+json':
      return asObject(mergePatch(structuredClone(target), requireMap(decode(patch))));
    case 'application/strategic-merge-patch+json':
      return asObject(strategicMerge(structuredClone(target), requireMap(decode(patch)), [], target.kind));
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      throw new ApiError(415, 'UnsupportedMediaType',
        'server-side apply is not supported by the embedded cluster: use client-side "kubectl apply" (without --server-side)');
    default:
      throw new ApiError(415, 'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`);
  }
}

/** The HTTP layer may hand over the raw body text; anything else is taken as parsed JSON. */
function decode(patch: unknown): Json {
  const text = typeof patch === 'string' ? patch : patch instanceof Uint8Array ? Buffer.from(patch).toString('utf8') : undefined;
  if (text === undefined) return patch;
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`);
  }
}

function requireMap(patch: Json): JsonMap {
  if (!isMap(patch)) throw new ApiError(400, 'BadRequest', `error decoding patch: the patch must be a JSON object, got ${patch === null ? 'null' : Array.isArray(patch) ? 'an array' : typeof patch}`);
  return patch;
}

function asObject(result: Json): KObject {
  if (!isMap(result)) throw new ApiError(422, 'Invalid', 'the patch did not produce an object');
  return result as KObject;
}

// ---- JSON patch ----

/** Errors of a patch that is not a well-formed operation list; every other failure is about the target. */
const malformed = new Set([
  'SEQUENCE_NOT_AN_ARRAY', 'OPERATION_NOT_AN_OBJECT', 'OPERATION_OP_INVALID', 'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED', 'OPERATION_VALUE_REQUIRED', 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

function applyJsonPatch(target: KObject, ops: Json): KObject {
  try {
    const result = jsonpatch.applyPatch(target, ops as Operation[], true, false);
    return asObject(result.newDocument);
  } catch (err) {
    if (!(err instanceof jsonpatch.JsonPatchError)) throw err;
    const op = err.operation as { op?: string; path?: string } | undefined;
    const where = op?.path !== undefined ? ` (${op.op ?? '?'} ${op.path})` : '';
    const message = `${err.message.split('\n')[0]}${where}`;
    if (malformed.has(err.name)) throw new ApiError(400, 'BadRequest', message);
    throw new ApiError(422, 'Invalid', message);
  }
}

// ---- JSON merge patch ----

function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const result: JsonMap = isMap(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// ---- strategic merge patch ----

type ListStrategy = { mergeKey: string } | { primitive: true };

const containerLists = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** patchMergeKey of the list fields kubectl patches; every list not named here is replaced whole. */
const mergeKeys: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'mountPath', volumeDevices: 'devicePath', imagePullSecrets: 'name', ownerReferences: 'uid',
  conditions: 'type', hostAliases: 'ip', topologySpreadConstraints: 'topologyKey',
};

/** `path` holds field names only (list indexes dropped), e.g. `spec.template.spec.containers.ports`. */
function listStrategy(path: string[], kind: string): ListStrategy | undefined {
  const field = path[path.length - 1] ?? '';
  if (field === 'finalizers') return { primitive: true };
  if (field === 'ports') {
    if (containerLists.has(path[path.length - 2] ?? '')) return { mergeKey: 'containerPort' };
    return kind === 'Service' && path.join('.') === 'spec.ports' ? { mergeKey: 'port' } : undefined;
  }
  const mergeKey = mergeKeys[field];
  return mergeKey ? { mergeKey } : undefined;
}

const badPatch = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
const ELEMENT_ORDER = '$setElementOrder/';

function strategicMerge(original: JsonMap, patch: JsonMap, path: string[], kind: string): JsonMap {
  const directive = patch.$patch;
  if (directive === 'replace') return strategicMerge({}, withoutKey(patch, '$patch'), path, kind);
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge') throw badPatch(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  applyRetainKeys(original, patch.$retainKeys);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_PRIMITIVE)) deleteFromPrimitiveList(original, key.slice(DELETE_PRIMITIVE.length), value);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) { delete original[key]; continue; }
    const order = patch[`${ELEMENT_ORDER}${key}`];
    original[key] = mergeValue(original[key], value, [...path, key], kind, order);
  }
  for (const [key, order] of Object.entries(patch)) {
    const field = key.startsWith(ELEMENT_ORDER) ? key.slice(ELEMENT_ORDER.length) : undefined;
    // An order for a list the patch leaves alone still reorders it, as kubectl apply expects.
    if (field !== undefined && !(field in patch) && Array.isArray(original[field])) {
      original[field] = applyElementOrder(original[field] as Json[], order, listStrategy([...path, field], kind));
    }
  }
  return original;
}

function mergeValue(original: Json, patch: Json, path: string[], kind: string, order: Json): Json {
  if (isMap(patch)) return strategicMerge(isMap(original) ? original : {}, patch, path, kind);
  if (!Array.isArray(patch)) return patch;
  const strategy = listStrategy(path, kind);
  if (!strategy) return patch.filter((e) => !(isMap(e) && '$patch' in e)).map((e) => (isMap(e) ? strategicMerge({}, e, path, kind) : e));
  const merged = mergeList(Array.isArray(original) ? original : [], patch, strategy, path, kind);
  return order === undefined ? merged : applyElementOrder(merged, order, strategy);
}

function mergeList(original: Json[], patch: Json[], strategy: ListStrategy, path: string[], kind: string): Json[] {
  if ('primitive' in strategy) return [...original, ...patch.filter((v) => !original.some((o) => sameJson(o, v)))];
  const { mergeKey } = strategy;
  if (patch.some((e) => isMap(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isMap(e) && '$patch' in e)).map((e) => strategicMerge({}, requireMapElement(e, mergeKey), path, kind));
  }
  const result = [...original];
  for (const raw of patch) {
    const element = requireMapElement(raw, mergeKey);
    const index = result.findIndex((o) => isMap(o) && sameJson(o[mergeKey], element[mergeKey]));
    if (element.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMerge(result[index] as JsonMap, element, path, kind);
    else result.push(strategicMerge({}, element, path, kind));
  }
  return result;
}

function requireMapElement(element: Json, mergeKey: string): JsonMap {
  if (!isMap(element) || !(mergeKey in element)) {
    throw badPatch(`map: ${JSON.stringify(element)} does not contain declared merge key: ${mergeKey}`);
  }
  return element;
}

/** `$setElementOrder/<field>`: listed elements in the listed order, then any the server holds beyond them. */
function applyElementOrder(list: Json[], order: Json, strategy: ListStrategy | undefined): Json[] {
  if (!Array.isArray(order)) throw badPatch(`invalid type for $setElementOrder list: ${JSON.stringify(order)}`);
  const identity = (e: Json): Json => (strategy && 'mergeKey' in strategy && isMap(e) ? e[strategy.mergeKey] : e);
  const rank = (e: Json): number => {
    const i = order.findIndex((o) => sameJson(identity(o), identity(e)));
    return i < 0 ? order.length : i;
  };
  return list.map((e, i) => ({ e, i, r: rank(e) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.e);
}

function applyRetainKeys(original: JsonMap, retainKeys: Json): void {
  if (retainKeys === undefined) return;
  if (!Array.isArray(retainKeys)) throw badPatch(`invalid patch: $retainKeys must be a list, got ${JSON.stringify(retainKeys)}`);
  for (const key of Object.keys(original)) if (!retainKeys.includes(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonMap, field: string, values: Json): void {
  if (!Array.isArray(values)) throw badPatch(`invalid patch: ${DELETE_PRIMITIVE}${field} must be a list`);
  const current = original[field];
  if (Array.isArray(current)) original[field] = current.filter((v) => !values.some((d) => sameJson(d, v)));
}

function withoutKey(map: JsonMap, key: string): JsonMap {
  const copy = { ...map };
  delete copy[key];
  return copy;
}

const sameJson = (a: Json, b: Json): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);
