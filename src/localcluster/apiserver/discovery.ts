import type { ResourceRegistry, ResourceType } from '../api/index.js';

/** The Kubernetes version the embedded cluster reports: the API it follows, tagged as crt's. */
export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-crt' };

export function versionInfo(): Record<string, string> {
  return {
    ...KUBE_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${process.arch}`,
  };
}

/**
 * Legacy (unaggregated) discovery documents. kubectl asks for the aggregated form first and falls back
 * to these when the answer's content type is plain JSON, so one form is enough.
 */
export function discoveryDocument(path: string, registry: ResourceRegistry, serverAddress: string): unknown {
  const clean = path.replace(/\/+$/, '');
  if (clean === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  if (clean === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().filter((g) => g.group).map((g) => apiGroup(g.group, g.version)) };
  }
  const group = /^\/apis\/([^/]+)$/.exec(clean);
  if (group) {
    const found = registry.groups().find((g) => g.group === group[1]);
    return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(found.group, found.version) } : undefined;
  }
  const gv = /^\/api\/(v1)$/.exec(clean) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(clean);
  if (gv) return resourceList(gv[1]!, registry);
  return undefined;
}

function apiGroup(name: string, version: string): Record<string, unknown> {
  const v = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [v], preferredVersion: v };
}

function resourceList(groupVersion: string, registry: ResourceRegistry): unknown {
  const resources = registry.all().filter((r) => (r.group ? `${r.group}/${r.version}` : r.version) === groupVersion);
  if (resources.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: resources.flatMap(apiResources) };
}

/** A resource and its subresources, with the kinds and verbs the real server lists for them. */
function apiResources(r: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
  };
  const subs = r.subresources.map((sub) => {
    const base = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced };
    switch (sub) {
      case 'scale': return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
      case 'log': return { ...base, kind: 'Pod', verbs: ['get'] };
      case 'eviction': return { ...base, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
      default: return { ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] };
    }
  });
  return [main, ...subs];
}
