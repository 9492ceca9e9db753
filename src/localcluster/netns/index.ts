/**
 * Network namespaces (building block of the real-control-plane mode): a private fabric of Linux
 * network namespaces in 198.18.0.0/15, one per node plus a hub, which the root namespace reaches
 * through per-namespace brokers that hand it sockets made inside. See docs/embedded-cluster/networking.md,
 * "Network namespaces (building block)".
 */
export { Fabric } from './fabric.js';
export { type Netns, DEFAULT_CONNECT_TIMEOUT_MS } from './namespace.js';
export { forwardFromLoopback, type LoopbackForward } from './forward.js';
export { netnsSupport, type NetnsSupport } from './support.js';
export { leftoverNamespaces, removeLeftovers } from './leftovers.js';
export { SocketOpError } from './broker-client.js';
export { runCommand, type IpResult } from './ip.js';
export { HUB_ADDRESS, isFabricAddress, nodeAddress, hubNamespace, nodeNamespace, parseNamespace } from './plan.js';
export { ownerGone, type OwnerRecord, type ProcessView } from './owner-record.js';
