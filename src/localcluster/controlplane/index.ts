/**
 * The real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
 * as child processes with their own PKI: the building block of `controlPlane: kubernetes`.
 */
export { ControlPlane } from './control-plane.js';
export type { ControlPlaneEndpoint, ControlPlaneOptions } from './options.js';
export { defaultClusterCIDR, defaultServiceCIDR } from './addresses.js';
export { kubeletApiAdminBinding } from './bootstrap.js';
