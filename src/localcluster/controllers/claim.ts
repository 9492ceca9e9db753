import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import { controllerRef, newControllerRef, selectorMatches } from './objects.js';

/**
 * ControllerRefManager.Claim: of `candidates`, the objects `owner` controls after adopting the orphans its
 * selector matches and releasing the ones that no longer match. A terminating owner adopts and releases nothing;
 * a terminating orphan is not adopted.
 */
export function claimObjects(store: Store, resourceKey: string, owner: KObject, candidates: KObject[]): KObject[] {
  const claimed: KObject[] = [];
  const deleting = Boolean(owner.metadata.deletionTimestamp);
  for (const obj of candidates) {
    const ref = controllerRef(obj);
    if (ref && ref.uid !== owner.metadata.uid) continue;
    const matches = selectorMatches(owner.spec?.selector, obj.metadata.labels);
    if (ref && matches) {
      claimed.push(obj);
    } else if (ref && !deleting) {
      setController(store, resourceKey, obj, owner, false);
    } else if (!ref && matches && !deleting && !obj.metadata.deletionTimestamp) {
      const adopted = setController(store, resourceKey, obj, owner, true);
      if (adopted) claimed.push(adopted);
    }
  }
  return claimed;
}

function setController(store: Store, resourceKey: string, obj: KObject, owner: KObject, adopt: boolean): KObject | undefined {
  store.mutate(resourceKey, obj.metadata.namespace, obj.metadata.name!, (draft) => {
    const others = (draft.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
    draft.metadata.ownerReferences = adopt ? [...others, newControllerRef(owner)] : others;
    if (draft.metadata.ownerReferences.length === 0) delete draft.metadata.ownerReferences;
  });
  return store.peek(resourceKey, obj.metadata.namespace, obj.metadata.name!);
}
