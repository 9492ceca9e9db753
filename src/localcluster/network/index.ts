/**
 * The network of the embedded cluster: loopback addresses for pods and Services, and the proxies
 * that make a Service IP (or a node port on 127.0.0.1) reach the pods behind it.
 */
export { AddressPool, AddressPoolError, type AddressPoolErrorCode } from './address-pool.js';
export { ServiceProxy, type Backend, type ConnectionInfo, type Gate, type ProxyStats, type ServiceProxyOptions, type Verdict } from './service-proxy.js';
export { NetworkPolicyEngine, type CniProfile, type Denial, type Flow, type PolicySource, type Selecting } from './policy-engine.js';
export { isNamedPort, namedPort, peerMatches, type CompiledPolicy, type IPBlock, type NamespaceLabels, type PeerRule, type PodView, type PortRule, type Rule } from './policy-rules.js';
export { PodGate, type GateFailure, type PodGateOptions } from './pod-gate.js';
export { NodeLinks, type NodeLossTraffic } from './node-links.js';
export { forward, reset } from './splice.js';
