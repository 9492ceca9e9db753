import { ApiError, type KObject } from '../api/index.js';
import type { Store } from './store.js';

/**
 * Cascading deletion, as the kube-controller-manager's garbage collector and namespace controller do it:
 * a dependent whose owners (ownerReferences) are all gone is deleted (Background propagation); an owner
 * marked with the `foregroundDeletion` finalizer waits until its dependents are gone; a terminating
 * namespace has its content deleted, then goes away. A pass runs after each batch of changes.
 */
export class GarbageCollector {
  private scheduled = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: Store) {
    this.unsubscribe = store.onChange((change) => {
      // A new dependent may point at an owner that is already gone: collect it too.
      if (change.type === 'DELETED' || change.object.metadata.deletionTimestamp || (change.type === 'ADDED' && change.object.metadata.ownerReferences?.length)) this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  /** One full pass; public so tests and `cluster down` can run it synchronously. */
  collect(): void {
    const all = this.store.registry.all().flatMap((r) => this.store.snapshot(r.key).map((o) => ({ key: r.key, obj: o })));
    const uids = new Set(all.map(({ obj }) => obj.metadata.uid));
    for (const { key, obj } of all) {
      const refs = obj.metadata.ownerReferences;
      if (refs?.length && refs.every((ref) => !uids.has(ref.uid)) && !obj.metadata.deletionTimestamp) this.tryDelete(key, obj, 'Background');
    }
    for (const { key, obj } of all) {
      if (obj.metadata.finalizers?.includes('foregroundDeletion')) this.finishForeground(key, obj, all);
    }
    for (const { obj } of all.filter(({ key }) => key === 'namespaces')) {
      if (obj.metadata.deletionTimestamp) this.finishNamespace(obj);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.collect();
    });
  }

  private finishForeground(key: string, owner: KObject, all: { key: string; obj: KObject }[]): void {
    const dependents = all.filter(({ obj }) => obj.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid));
    for (const d of dependents) if (!d.obj.metadata.deletionTimestamp) this.tryDelete(d.key, d.obj, 'Foreground');
    if (dependents.length > 0) return;
    this.store.mutate(key, owner.metadata.namespace, owner.metadata.name!, (draft) => {
      draft.metadata.finalizers = draft.metadata.finalizers!.filter((f) => f !== 'foregroundDeletion');
    });
  }

  private finishNamespace(ns: KObject): void {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const r of this.store.registry.all()) {
      if (!r.namespaced) continue;
      for (const obj of this.store.snapshot(r.key, name)) {
        remaining++;
        if (!obj.metadata.deletionTimestamp) this.tryDelete(r.key, obj, 'Background');
      }
    }
    // The namespace's own deletion was only a mark: remove it for real once it is empty.
    if (remaining === 0) this.store.removeNow('namespaces', undefined, name);
  }

  private tryDelete(key: string, obj: KObject, propagationPolicy: 'Background' | 'Foreground'): void {
    try {
      this.store.delete(key, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}
