// localcluster/api: the Kubernetes object types and the API server's validation, defaults and tables,
// as the other rooms of the embedded cluster use them (eslint/deps.mjs).
export { applyDefaults } from './defaults.js';
export { applyPatch } from './patch.js';
export { ResourceRegistry, type ResourceType } from './resources.js';
export { toPartialObjectMetadataList, toTable } from './tables.js';
export { ApiError, type KObject, type OwnerReference } from './types.js';
export { assertValid } from './validation.js';
export { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP } from './workload-defaults.js';
