export { LocalCluster, DEFAULT_ENDPOINT_PROPAGATION_DELAY_MS, DEFAULT_POD_START_DELAY_MS, type LocalClusterOptions } from './cluster.js';
export { deploymentDone, type AvailabilityOptions } from './store/index.js';
export { demoManifestPath } from './demo-manifest.js';
export { killLeftovers, leftoverPodProcesses, orphanedClusters, otherClusters, stopOrphanedClusters, type OrphanedCluster, type OtherCluster } from './leftovers.js';
export { ManifestError } from './store/index.js';
export type { AppliedObject } from './store/index.js';
export { AUDIT_FILE_ENV, auditFileWriter, requestAttributes, type AuditListener, type AuditRecord, type RequestAttributes } from './apiserver/index.js';
export { installKubernetes, kubernetesBinaries, type InstallOptions, type InstallResult, type InstallSource } from './install/index.js';
export { embeddedCluster, realControlPlaneUnavailable, CONTROL_PLANE_CHOICES, type EmbeddedCluster, type EmbeddedClusterOptions, type ControlPlaneChoice, type ControlPlaneKind } from './embedded.js';
