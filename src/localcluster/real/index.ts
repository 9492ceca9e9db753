/**
 * The embedded cluster on the real control plane (`controlPlane: kubernetes`): the control plane of the
 * pinned release as child processes, crt's kubelets and kube-proxy as API clients, in network namespaces.
 */
export { RealCluster, NODE_SWITCH_ANNOTATION, type RealClusterOptions } from './real-cluster.js';
export { RealNode } from './real-node.js';
export { LOOPBACK_ADDRESS_ANNOTATION } from './kube-proxy.js';
