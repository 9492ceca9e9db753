/**
 * The embedded cluster on the real control plane (`controlPlane: kubernetes`): the control plane of the
 * pinned release as child processes, crt's kubelets and kube-proxy as API clients, in network namespaces.
 */
export { RealCluster, type RealClusterOptions } from './real-cluster.js';
export { RealNode } from './real-node.js';
export { NodeFirewalls, nftUnavailable, type FirewallNode, type NodeFirewallsOptions } from './node-firewalls.js';
export { nodeRuleset, NFT_TABLE, type LocalPod, type NodeRulesInput } from './nft-policy.js';
