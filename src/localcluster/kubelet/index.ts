/**
 * A kubelet that talks to the API like any other client (@kubernetes/client-node), for the embedded
 * cluster's real-control-plane mode: a building block that runs one node against any API server.
 */
export { ApiKubelet, type ApiKubeletOptions } from './api-kubelet.js';
export { KUBELET_PORT, NODE_LEASE_NAMESPACE, type NodeIdentity } from './node-reporter.js';
export { PodAddresses } from './pod-ips.js';
export type { PodNetworkHooks } from './kubelet-pods.js';
