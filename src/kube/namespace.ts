import type { KubeConfig } from '@kubernetes/client-node';

/** Where kubectl acts when its context names no namespace. */
export const FALLBACK_NAMESPACE = 'default';

/**
 * The namespace a fault, probe or cluster view acts in when its step names none: the kubeconfig
 * context's namespace, else `default`, as kubectl does. The one namespace default of crt.
 */
export function contextNamespace(kc: KubeConfig | undefined): string {
  return (kc && kc.getContextObject(kc.getCurrentContext())?.namespace) || FALLBACK_NAMESPACE;
}

/** The namespace a step acts in: its own, else the context's. */
export function namespaceOr(given: string | undefined, kc: KubeConfig | undefined): string {
  return given ?? contextNamespace(kc);
}
