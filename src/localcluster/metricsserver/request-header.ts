import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { EnvironmentError } from '../../core/index.js';

/**
 * The front proxy's settings, as kube-apiserver publishes them for aggregated API servers in the ConfigMap
 * `kube-system/extension-apiserver-authentication` (its --requestheader-* flags).
 */
export interface RequestHeaderConfig {
  /** the CA that signs the front proxy's client certificate */
  clientCaPem: string;
  /** the common names a front-proxy certificate may have (empty: any the CA signed) */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

/** Who the API server says made a request. */
export interface UserInfo {
  name: string;
  groups: string[];
  extra: Record<string, string[]>;
}

const AUTHENTICATED_GROUP = 'system:authenticated';

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

function stringList(data: Record<string, string>, key: string): string[] {
  const raw = data[key];
  if (!raw) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/** Reads the front proxy's settings as an aggregated API server does at start. */
export async function readRequestHeaderConfig(core: CoreV1Api): Promise<RequestHeaderConfig> {
  let data: Record<string, string>;
  try {
    data = (await core.readNamespacedConfigMap(AUTHENTICATION_CONFIGMAP)).data ?? {};
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) data = {};
    else throw err;
  }
  const clientCaPem = data['requestheader-client-ca-file'];
  if (!clientCaPem) {
    throw new EnvironmentError(`${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name} holds no requestheader-client-ca-file: the API server runs without the aggregation layer`, {
      hint: 'kube-apiserver needs --requestheader-client-ca-file and --proxy-client-cert-file for metrics.k8s.io',
    });
  }
  return {
    clientCaPem,
    allowedNames: stringList(data, 'requestheader-allowed-names'),
    usernameHeaders: stringList(data, 'requestheader-username-headers'),
    groupHeaders: stringList(data, 'requestheader-group-headers'),
    extraHeaderPrefixes: stringList(data, 'requestheader-extra-headers-prefix'),
  };
}

/** A TLS peer: whether its certificate chains to the request-header CA, and its common name. */
export interface Peer {
  authorized: boolean;
  commonName?: string;
}

/**
 * The user of a request the front proxy forwarded (Kubernetes' requestheader authenticator): only a client
 * certificate of the request-header CA with an allowed common name may assert a user, through the first
 * username header set, every group header value and the extra headers (the key after the prefix,
 * lower-cased and URL-unescaped), plus `system:authenticated`. Undefined: not authenticated.
 */
export function requestHeaderUser(peer: Peer, headers: Record<string, string[] | undefined>, cfg: RequestHeaderConfig): UserInfo | undefined {
  if (!peer.authorized) return undefined;
  if (cfg.allowedNames.length > 0 && !cfg.allowedNames.includes(peer.commonName ?? '')) return undefined;
  const values = (name: string) => (headers[name.toLowerCase()] ?? []).filter((v) => v.length > 0);
  const name = cfg.usernameHeaders.map((h) => values(h)[0]).find((v) => v !== undefined);
  if (!name) return undefined;
  const groups = cfg.groupHeaders.flatMap(values);
  // as every Kubernetes authenticator chain does: RBAC's discovery and basic roles are bound to this group
  if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
  const extra: Record<string, string[]> = {};
  for (const prefix of cfg.extraHeaderPrefixes.map((p) => p.toLowerCase())) {
    for (const [header, list] of Object.entries(headers)) {
      if (!header.startsWith(prefix) || !list) continue;
      const key = decodeURIComponent(header.slice(prefix.length)).toLowerCase();
      extra[key] = [...(extra[key] ?? []), ...list];
    }
  }
  return { name, groups, extra };
}
