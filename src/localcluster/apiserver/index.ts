// localcluster/apiserver: the embedded HTTP API server, as the other rooms of the embedded cluster use it
// (eslint/deps.mjs).
export { ApiServer } from './api-server.js';
export { AUDIT_FILE_ENV, auditFileWriter, type AuditListener, type AuditRecord, requestAttributes, type RequestAttributes } from './audit.js';
export { ClusterLogs } from './cluster-logs.js';
export { KUBE_VERSION } from './discovery.js';
export { evictionHandler } from './eviction.js';
export { type AdminHandler, nodeLinkEndpoint, nodePowerEndpoint } from './node-power.js';
export { type LogSource, servePodLog } from './pod-logs.js';
export { readJsonBody } from './request-body.js';
export { send } from './resource-handler.js';
