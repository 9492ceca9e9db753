/**
 * The resource types the embedded cluster serves: what discovery lists, what the store keys objects by,
 * and what the HTTP layer routes. A resource is named by its key: the plural for the core group
 * (`pods`), `group/plural` otherwise (`apps/deployments`).
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceType {
  key: string;
  group: string; // '' for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served under `<resource>/<name>/<sub>`: `status`, `scale`, `log`, `eviction`... */
  subresources: string[];
  verbs: Verb[];
}

const ALL: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

function resource(
  group: string, version: string, kind: string, plural: string, namespaced: boolean,
  extra: { shortNames?: string[]; categories?: string[]; subresources?: string[]; verbs?: Verb[] } = {},
): ResourceType {
  return {
    key: group ? `${group}/${plural}` : plural,
    group, version, kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), namespaced,
    shortNames: extra.shortNames ?? [], categories: extra.categories ?? [],
    subresources: extra.subresources ?? [], verbs: extra.verbs ?? ALL,
  };
}

export const builtinResources: readonly ResourceType[] = [
  resource('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }),
  resource('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  resource('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'eviction'] }),
  resource('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  resource('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  resource('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  resource('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  resource('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  resource('apps', 'v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  resource('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  resource('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: ['status'] }),
  resource('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  resource('batch', 'v1', 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'] }),
  // crt's run lease (one run per cluster) and any client's leader election
  resource('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  resource('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, { shortNames: ['hpa'], categories: ['all'], subresources: ['status'] }),
  // Events are served as core/v1 only: one store, so `kubectl describe` and the report's timeline agree.
];

/** Resources by key, plus lookups the HTTP layer needs. */
export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceType>();

  constructor(resources: readonly ResourceType[] = builtinResources) {
    for (const r of resources) this.byKey.set(r.key, r);
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  /** The resource, or undefined when the cluster does not serve it. */
  find(group: string, plural: string): ResourceType | undefined {
    return this.byKey.get(group ? `${group}/${plural}` : plural);
  }

  /** The resource of an object's apiVersion and kind (`apps/v1`, `Deployment`), as manifests name it. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    return this.all().find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  get(key: string): ResourceType {
    const r = this.byKey.get(key);
    if (!r) throw new Error(`unknown resource key ${key}`);
    return r;
  }

  /** The group/versions served, core first, for `/api` and `/apis`. */
  groups(): { group: string; version: string }[] {
    const seen = new Map<string, string>();
    for (const r of this.byKey.values()) if (!seen.has(r.group)) seen.set(r.group, r.version);
    return [...seen].map(([group, version]) => ({ group, version }));
  }
}
