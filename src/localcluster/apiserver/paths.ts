import { ApiError, type ResourceRegistry, type ResourceType } from '../api/index.js';

/** A request path resolved to what it addresses. */
export type Route =
  | { kind: 'discovery'; path: string }
  | { kind: 'resource'; resource: ResourceType; namespace?: string; name?: string; subresource?: string; legacyWatch: boolean };

/**
 * Parses Kubernetes REST paths:
 * `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]`, the same under `/apis/{group}/{version}`,
 * the namespace object itself (`/api/v1/namespaces/{name}[/status]`) and the legacy `/watch/` prefix.
 */
export function parsePath(pathname: string, registry: ResourceRegistry): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length <= 2) return { kind: 'discovery', path: pathname };
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length <= 3) return { kind: 'discovery', path: pathname };
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: 'discovery', path: pathname };
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  const namespaceSubresource = group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]!);
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const resource = plural ? registry.find(group, plural) : undefined;
  if (!resource || resource.version !== version || extra.length > 0) throw notServed();
  if (resource.namespaced !== (namespace !== undefined) && name !== undefined) throw notServed();
  if (!resource.namespaced && namespace !== undefined) throw notServed();
  if (subresource !== undefined && !resource.subresources.includes(subresource)) throw notServed();
  return {
    kind: 'resource', resource, legacyWatch,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

export function notServed(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}
