import { isDeepStrictEqual } from 'node:util';
import { ApiError, applyDefaults, applyPatch, assertValid, ResourceRegistry, type KObject, type ResourceType } from '../api/index.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../kube/index.js';
import { qosClass } from '../runtime/index.js';
import { completeGeneratedName, deepFreeze, newUid, rfc3339 } from './object-names.js';
import { type Change, type WatchEvent, WatchHub } from './watch-hub.js';
import { notFound, type Admission, type DeleteOptions, type ListOptions, type ListResult, type WatchOptions, type WriteOptions } from './store-types.js';

export type { Admission, DeleteOptions, ListOptions, ListResult, WatchOptions, WriteOptions } from './store-types.js';

/**
 * The embedded cluster's object store: what etcd plus the generic registry are in Kubernetes. Every write
 * gets a new cluster-wide resourceVersion and is published to watchers; objects are validated, defaulted
 * and frozen. Callers get copies from get/list, frozen objects from `peek`/`snapshot`/watch events.
 * Cascading deletion (ownerReferences) and namespace termination run in the garbage collector.
 */
export class Store {
  readonly registry: ResourceRegistry;
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly hub = new WatchHub();
  private readonly admissions = new Map<string, Admission[]>();
  private readonly changeListeners = new Set<(change: Change) => void>();
  private rv = 1;

  constructor(opts: { registry?: ResourceRegistry; now?: () => number } = {}) {
    this.registry = opts.registry ?? new ResourceRegistry();
    this.now = opts.now ?? Date.now;
    for (const r of this.registry.all()) this.objects.set(r.key, new Map());
  }

  readonly now: () => number;

  resourceVersion(): string {
    return String(this.rv);
  }

  /** Admission plug-ins (IP allocation, ...) called before a create/update is stored and after a delete. */
  addAdmission(resourceKey: string, admission: Admission): void {
    const list = this.admissions.get(resourceKey) ?? [];
    list.push(admission);
    this.admissions.set(resourceKey, list);
  }

  /** Every change, for the garbage collector and the cluster's own bookkeeping (called after watchers are queued). */
  onChange(listener: (change: Change) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The stored (frozen) object, or undefined. */
  peek(resourceKey: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.bucket(resourceKey).get(storageKey(namespace, name));
  }

  get(resourceKey: string, namespace: string | undefined, name: string): KObject {
    const obj = this.peek(resourceKey, namespace, name);
    if (!obj) throw notFound(this.registry.get(resourceKey), name);
    return structuredClone(obj);
  }

  /** Frozen objects of a resource (in one namespace or all), sorted by namespace/name. */
  snapshot(resourceKey: string, namespace?: string, predicate?: (obj: KObject) => boolean): KObject[] {
    const out: KObject[] = [];
    for (const obj of this.bucket(resourceKey).values()) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (predicate && !predicate(obj)) continue;
      out.push(obj);
    }
    return out.sort((a, b) => compareKeys(a, b));
  }

  list(resourceKey: string, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const matches = this.matcher(resourceKey, opts);
    let items = this.snapshot(resourceKey, namespace, matches);
    let next: string | undefined;
    if (opts.continue) {
      const after = decodeContinue(opts.continue);
      items = items.filter((o) => storageKey(o.metadata.namespace, o.metadata.name!) > after);
    }
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      items = items.slice(0, opts.limit);
      const last = items[items.length - 1]!;
      next = Buffer.from(storageKey(last.metadata.namespace, last.metadata.name!)).toString('base64url');
    }
    return { items: items.map((o) => structuredClone(o)), resourceVersion: this.resourceVersion(), ...(next ? { continue: next } : {}) };
  }

  create(resourceKey: string, namespace: string | undefined, input: KObject, opts: WriteOptions = {}): KObject {
    const resource = this.registry.get(resourceKey);
    const obj = structuredClone(input);
    obj.apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    obj.kind = resource.kind;
    obj.metadata ??= {};
    const ns = this.checkNamespace(resource, namespace, obj);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = completeGeneratedName(obj.metadata.generateName);
    if (!obj.metadata.name) throw new ApiError(422, 'Invalid', `${resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: resource.kind, group: resource.group, causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }] });
    if (this.peek(resourceKey, ns, obj.metadata.name)) {
      throw new ApiError(409, 'AlreadyExists', `${qualified(resource)} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: resource.group, kind: resource.plural });
    }
    if (!opts.keepStatus && resource.subresources.includes('status')) delete obj.status;
    // The API server starts every pod Pending, before any scheduler or kubelet has seen it.
    if (resourceKey === 'pods' && !opts.keepStatus) obj.status = { phase: 'Pending' };
    Object.assign(obj.metadata, { uid: newUid(), creationTimestamp: rfc3339(this.now()), generation: 1 });
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.resourceVersion;
    applyDefaults(resourceKey, obj);
    // the pod strategy's PrepareForCreate: the QoS class from the defaulted requests and limits, once
    if (resourceKey === 'pods' && !opts.keepStatus) obj.status.qosClass = qosClass(obj.spec);
    assertValid(resource, obj);
    for (const a of this.admissions.get(resourceKey) ?? []) a.create?.(obj, opts);
    if (opts.dryRun) return obj;
    return structuredClone(this.commit(resourceKey, 'ADDED', obj));
  }

  update(resourceKey: string, namespace: string | undefined, name: string, input: KObject, opts: WriteOptions = {}): KObject {
    const resource = this.registry.get(resourceKey);
    const old = this.peek(resourceKey, namespace, name);
    if (!old) throw notFound(resource, name);
    if (input.metadata?.name && input.metadata.name !== name) {
      throw new ApiError(400, 'BadRequest', `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    const sentRv = input.metadata?.resourceVersion;
    if (sentRv && sentRv !== old.metadata.resourceVersion) throw conflict(resource, name);
    const obj = this.merged(resource, old, structuredClone(input), opts.subresource);
    if (!opts.subresource) applyDefaults(resourceKey, obj);
    assertValid(resource, obj, old);
    for (const a of this.admissions.get(resourceKey) ?? []) a.update?.(obj, old, opts);
    if (opts.dryRun) return obj;
    return structuredClone(this.store(resourceKey, old, obj));
  }

  patch(resourceKey: string, namespace: string | undefined, name: string, contentType: string, body: unknown, opts: WriteOptions = {}): KObject {
    const current = this.get(resourceKey, namespace, name);
    const patched = applyPatch(current, contentType, body);
    return this.update(resourceKey, namespace, name, patched, opts);
  }

  /**
   * Read-modify-write for the cluster's own controllers: `fn` edits a copy (return false to skip the
   * write). No resourceVersion check: the store is single-threaded, so the copy is always the latest.
   */
  mutate(resourceKey: string, namespace: string | undefined, name: string, fn: (draft: KObject) => void | false, opts: WriteOptions = {}): KObject | undefined {
    const old = this.peek(resourceKey, namespace, name);
    if (!old) return undefined;
    const draft = structuredClone(old);
    if (fn(draft) === false) return structuredClone(old);
    delete draft.metadata.resourceVersion;
    return this.update(resourceKey, namespace, name, draft, opts);
  }

  delete(resourceKey: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KObject {
    const resource = this.registry.get(resourceKey);
    const old = this.peek(resourceKey, namespace, name);
    if (!old) throw notFound(resource, name);
    const pre = opts.preconditions;
    const failed = pre?.uid && pre.uid !== old.metadata.uid ? `UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`
      : pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion ? `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}` : '';
    if (failed) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": Precondition failed: ${failed}`, { name, group: resource.group, kind: resource.plural });
    if (opts.dryRun) return structuredClone(old);
    const graceful = this.gracefulDelete(resourceKey, old, opts);
    if (graceful) return structuredClone(graceful);
    if (opts.propagationPolicy === 'Orphan') this.orphanDependents(old);
    this.remove(resourceKey, old);
    return structuredClone(old);
  }

  deleteCollection(resourceKey: string, namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions = {}): KObject[] {
    const items = this.snapshot(resourceKey, namespace, this.matcher(resourceKey, listOpts));
    return items.map((o) => this.delete(resourceKey, o.metadata.namespace, o.metadata.name!, opts));
  }

  /**
   * Watches a resource. With no resourceVersion (or "0") the current objects come first as ADDED; with
   * one, every change after it is replayed (410 Gone when the history no longer reaches it).
   */
  watch(resourceKey: string, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent) => void): () => void {
    const matches = this.matcher(resourceKey, opts);
    const filter = (key: string, obj: KObject): boolean =>
      key === resourceKey && (namespace === undefined || obj.metadata.namespace === namespace) && matches(obj);
    const rv = opts.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      return this.hub.watch(filter, onEvent, { initial: this.snapshot(resourceKey, namespace, matches) });
    }
    const fromRv = Number(rv);
    if (!Number.isInteger(fromRv) || fromRv < 0) throw new ApiError(400, 'BadRequest', `invalid resource version: ${rv}`);
    if (fromRv > this.rv) throw new ApiError(504, 'Timeout', `Too large resource version: ${fromRv}, current: ${this.rv}`);
    return this.hub.watch(filter, onEvent, { fromRv });
  }

  /** Removes an object at once, whatever marks it carries (the namespace controller's last step). */
  removeNow(resourceKey: string, namespace: string | undefined, name: string): void {
    const obj = this.peek(resourceKey, namespace, name);
    if (obj) this.remove(resourceKey, obj);
  }

  get watcherCount(): number {
    return this.hub.watcherCount;
  }

  // --- internals -------------------------------------------------------------------------------

  private bucket(resourceKey: string): Map<string, KObject> {
    const b = this.objects.get(resourceKey);
    if (!b) throw new Error(`unknown resource key ${resourceKey}`);
    return b;
  }

  private matcher(resourceKey: string, opts: ListOptions): (obj: KObject) => boolean {
    const labels = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector, resourceKey) : undefined;
    return (obj) => (!labels || matchesLabels(labels, obj.metadata.labels)) && (!fields || matchesFields(fields, obj));
  }

  private checkNamespace(resource: ResourceType, namespace: string | undefined, obj: KObject): string | undefined {
    if (!resource.namespaced) {
      delete obj.metadata.namespace;
      return undefined;
    }
    const ns = namespace ?? obj.metadata.namespace ?? 'default';
    if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
      throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = ns;
    const nsObj = this.peek('namespaces', undefined, ns);
    if (!nsObj) throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if (nsObj.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${resource.plural} "${obj.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    }
    return ns;
  }

  /** The object an update would store: status or main part from the request, the rest from the old object. */
  private merged(resource: ResourceType, old: KObject, obj: KObject, subresource: string | undefined): KObject {
    const meta = obj.metadata ?? {};
    if (subresource === 'status') {
      const next = structuredClone<KObject>(old);
      next.status = obj.status;
      return next;
    }
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    obj.metadata = {
      ...meta,
      name: old.metadata.name!,
      uid: old.metadata.uid!,
      creationTimestamp: old.metadata.creationTimestamp!,
      generation: old.metadata.generation ?? 1,
      ...(old.metadata.namespace ? { namespace: old.metadata.namespace } : {}),
      ...(old.metadata.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp, deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds! } : {}),
    };
    if (!old.metadata.deletionTimestamp) delete obj.metadata.deletionTimestamp;
    if (resource.subresources.includes('status')) {
      if (old.status === undefined) delete obj.status;
      else obj.status = structuredClone(old.status);
    }
    return obj;
  }

  /** Stores an update: bumps generation when the spec changed; a no-op write keeps the old version. */
  private store(resourceKey: string, old: KObject, obj: KObject): KObject {
    delete obj.metadata.resourceVersion;
    const { resourceVersion: _rv, ...oldMeta } = old.metadata;
    if (isDeepStrictEqual({ ...old, metadata: oldMeta }, obj)) return old;
    if (!isDeepStrictEqual(old.spec, obj.spec)) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length && !isPodAwaitingKubelet(resourceKey, obj)) {
      this.remove(resourceKey, obj);
      return obj;
    }
    return this.commit(resourceKey, 'MODIFIED', obj, old);
  }

  private commit(resourceKey: string, type: 'ADDED' | 'MODIFIED', obj: KObject, previous?: KObject): KObject {
    obj.metadata.resourceVersion = String(++this.rv);
    deepFreeze(obj);
    this.bucket(resourceKey).set(storageKey(obj.metadata.namespace, obj.metadata.name!), obj);
    this.emit({ rv: this.rv, resourceKey, type, object: obj, ...(previous ? { previous } : {}) });
    return obj;
  }

  private remove(resourceKey: string, obj: KObject): void {
    const key = storageKey(obj.metadata.namespace, obj.metadata.name!);
    const bucket = this.bucket(resourceKey);
    if (!bucket.has(key)) return;
    bucket.delete(key);
    const gone = structuredClone(obj);
    gone.metadata.resourceVersion = String(++this.rv);
    deepFreeze(gone);
    for (const a of this.admissions.get(resourceKey) ?? []) a.delete?.(gone);
    this.emit({ rv: this.rv, resourceKey, type: 'DELETED', object: gone });
  }

  private emit(change: Change): void {
    this.hub.publish(change);
    for (const l of this.changeListeners) l(change);
  }

  /**
   * Deletions that only mark the object: a pod on a node waits for its kubelet to stop it (grace period),
   * an object with finalizers waits for them, Foreground propagation waits for the dependents.
   */
  private gracefulDelete(resourceKey: string, old: KObject, opts: DeleteOptions): KObject | undefined {
    const foreground = opts.propagationPolicy === 'Foreground';
    const podOnNode = resourceKey === 'pods' && old.spec?.nodeName && !['Succeeded', 'Failed'].includes(old.status?.phase);
    const grace = opts.gracePeriodSeconds ?? old.metadata.deletionGracePeriodSeconds ?? old.spec?.terminationGracePeriodSeconds ?? 30;
    const marks = resourceKey === 'namespaces' || foreground || (old.metadata.finalizers?.length ?? 0) > 0 || (podOnNode && grace > 0);
    if (!marks) return undefined;
    const draft = structuredClone<KObject>(old);
    const now = this.now();
    if (podOnNode) {
      const currentDeadline = old.metadata.deletionTimestamp ? Date.parse(old.metadata.deletionTimestamp) : Infinity;
      const deadline = Math.min(currentDeadline, now + grace * 1000);
      draft.metadata.deletionTimestamp = rfc3339(deadline);
      // Only shortening is allowed, as in Kubernetes: deadline and grace stay consistent.
      draft.metadata.deletionGracePeriodSeconds = Math.min(grace, old.metadata.deletionGracePeriodSeconds ?? grace);
    } else {
      draft.metadata.deletionTimestamp ??= rfc3339(now);
      draft.metadata.deletionGracePeriodSeconds ??= 0;
    }
    if (foreground && !draft.metadata.finalizers?.includes('foregroundDeletion')) {
      draft.metadata.finalizers = [...(draft.metadata.finalizers ?? []), 'foregroundDeletion'];
    }
    if (resourceKey === 'namespaces') draft.status = { ...(draft.status ?? {}), phase: 'Terminating' };
    if (isDeepStrictEqual(draft, old)) return old;
    delete draft.metadata.resourceVersion;
    return this.commit(resourceKey, 'MODIFIED', draft, old);
  }

  private orphanDependents(owner: KObject): void {
    const uid = owner.metadata.uid;
    for (const r of this.registry.all()) {
      for (const dep of this.snapshot(r.key, undefined, (o) => o.metadata.ownerReferences?.some((ref) => ref.uid === uid) ?? false)) {
        this.mutate(r.key, dep.metadata.namespace, dep.metadata.name!, (d) => {
          d.metadata.ownerReferences = d.metadata.ownerReferences!.filter((ref) => ref.uid !== uid);
          if (d.metadata.ownerReferences.length === 0) delete d.metadata.ownerReferences;
        });
      }
    }
  }
}

/** A pod marked for deletion stays until its kubelet has stopped it and deletes it with grace 0. */
function isPodAwaitingKubelet(resourceKey: string, obj: KObject): boolean {
  return resourceKey === 'pods' && Boolean(obj.spec?.nodeName) && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

function storageKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function compareKeys(a: KObject, b: KObject): number {
  const ka = storageKey(a.metadata.namespace, a.metadata.name!);
  const kb = storageKey(b.metadata.namespace, b.metadata.name!);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function decodeContinue(token: string): string {
  try {
    return Buffer.from(token, 'base64url').toString('utf8');
  } catch {
    throw new ApiError(400, 'BadRequest', 'continue key is not valid');
  }
}

function qualified(resource: ResourceType): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function conflict(resource: ResourceType, name: string): ApiError {
  return new ApiError(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: resource.group, kind: resource.plural });
}
