// localcluster/store: the object store, manifests and availability, as the other rooms of the embedded
// cluster use them (eslint/deps.mjs).
export { type AvailabilityOptions, deploymentDone, waitUntilAvailable } from './availability.js';
export { GarbageCollector } from './garbage-collector.js';
export { ManifestError } from './manifest-error.js';
export { type AppliedObject, applyObjects, readManifests } from './manifests.js';
export { rfc3339, rfc3339Micro } from './object-names.js';
export type { Admission } from './store-types.js';
export { type DeleteOptions, Store } from './store.js';
export type { WatchEvent } from './watch-hub.js';
