import type { FaultKind } from './schema-actions.js';

/**
 * Kubernetes' own namespaces: a fault there (killing the DNS, the API server's pods) takes the
 * whole cluster down, not the system under test. A plan acts on them only when
 * `cluster.namespaces` lists them by name.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Faults that act in a namespace (`namespace:`, default "default"). */
const NAMESPACED: readonly FaultKind[] = ['pod-kill', 'network-cut', 'rollout', 'scale', 'switch'];

/**
 * The namespace a fault acts in and the keys that set it (`namespace`, or `nodeOf.namespace` for
 * a node fault that finds its node through a pod); null for a fault that acts in no namespace.
 */
export function faultNamespace(kind: FaultKind, params: Readonly<Record<string, unknown>>): { namespace: string; key: string[] } | null {
  if (NAMESPACED.includes(kind)) return { namespace: typeof params.namespace === 'string' ? params.namespace : 'default', key: ['namespace'] };
  const nodeOf = params.nodeOf;
  if (!nodeOf || typeof nodeOf !== 'object') return null;
  const given = (nodeOf as { namespace?: unknown }).namespace;
  return { namespace: typeof given === 'string' ? given : 'default', key: ['nodeOf', 'namespace'] };
}

/** Why a fault in `namespace` is refused with these allowlisted namespaces, or null when it may act there. */
export function refusedNamespace(namespace: string, allowed: readonly string[] | undefined): { message: string; hint: string } | null {
  if (allowed) {
    return allowed.includes(namespace) ? null : {
      message: `namespace ${namespace} is not in cluster.namespaces (${allowed.join(', ')})`,
      hint: 'set the namespace of each step, or add the namespace to cluster.namespaces if it is meant to be touched',
    };
  }
  return SYSTEM_NAMESPACES.includes(namespace) ? {
    message: `${namespace} is a namespace of Kubernetes itself: a fault there can take the whole cluster down`,
    hint: `if it is meant, list it in cluster.namespaces (e.g. namespaces: [${namespace}]); crt acts in ${SYSTEM_NAMESPACES.join(', ')} only when they are listed there`,
  } : null;
}
