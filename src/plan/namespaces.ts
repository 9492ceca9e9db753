import { FAULT_NAMESPACE_RULES } from './schema-actions.js';
import type { ActionSpec } from './types.js';

/**
 * Kubernetes' own namespaces: a fault there (killing the DNS, the API server's pods) takes the
 * whole cluster down, not the system under test. A plan acts on them only when
 * `cluster.namespaces` lists them by name.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The namespace a fault acts in (by its kind's FAULT_NAMESPACE_RULES) and the keys that set it
 * (`namespace`, or `nodeOf.namespace` for a node fault that finds its node through a pod); null
 * for a fault that acts in no namespace. A step that names none acts in `contextNamespace`, the
 * kubeconfig context's (kube/ contextNamespace); null there (validation, before any cluster is
 * open) leaves such a step to the run's own check.
 */
export function faultNamespace(a: Pick<ActionSpec, 'kind' | 'params'>, contextNamespace: string | null): { namespace: string; key: string[] } | null {
  const rule = FAULT_NAMESPACE_RULES[a.kind];
  let given: string | undefined;
  let key: string[];
  if (rule === 'namespace') {
    given = 'namespace' in a.params ? a.params.namespace : undefined;
    key = ['namespace'];
  } else if (rule === 'node-of' && 'nodeOf' in a.params && a.params.nodeOf) {
    given = a.params.nodeOf.namespace;
    key = ['nodeOf', 'namespace'];
  } else {
    return null;
  }
  const namespace = given ?? contextNamespace;
  return namespace === null ? null : { namespace, key };
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
