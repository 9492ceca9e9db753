import { UsageError } from '../core/index.js';
import { serviceFromHost } from '../kube/index.js';
import type { ResolvedLoad } from '../load/index.js';
import type { TargetResolver } from '../probes/index.js';
import type { LoadSpec, Target } from '../plan/index.js';

/** Finds the URL of a cluster Service port (the run's cluster session). */
export type ServiceResolver = (namespace: string, name: string, port?: string) => Promise<string>;

/**
 * The plan's targets as URLs. A target naming a Service (`service: demo/gateway`) or a URL whose host is
 * a Service DNS name (`http://gateway.demo.svc:80`) is resolved through the run's cluster, once.
 */
export class PlanTargets implements TargetResolver {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly targets: Readonly<Record<string, Target>>, private readonly services?: ServiceResolver) {}

  async resolve(name: string): Promise<{ url: string; headers: Record<string, string> }> {
    // own properties only: `constructor` is no target of the plan, whatever Object.prototype holds
    const t = Object.hasOwn(this.targets, name) ? this.targets[name] : undefined;
    if (!t) throw new UsageError(`unknown target ${name}`);
    let url = this.cache.get(name);
    if (!url) {
      url = this.baseUrl(t);
      this.cache.set(name, url);
    }
    return { url: await url, headers: { ...t.headers } };
  }

  private async baseUrl(t: Target): Promise<string> {
    const where = `${t.location.file}:${t.location.line}:${t.location.col}`;
    if (t.url) {
      const parsed = new URL(t.url);
      const svc = serviceFromHost(parsed.hostname);
      if (!svc || !this.services) return t.url;
      const base = new URL(await this.services(svc.namespace, svc.name, parsed.port || undefined));
      return `${base.origin}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
    }
    const [ns, rest] = (t.service as string).split('/') as [string, string];
    const [svcName, port] = rest.split(':') as [string, string | undefined];
    if (!this.services) {
      throw new UsageError(`target ${t.name} names the cluster service ${t.service}, but the plan has no cluster`, { hint: `${where}: add cluster: {local: {...}} or cluster: {kubeconfig: ...}, or give the target a url` });
    }
    return this.services(ns, svcName, port);
  }
}

export async function resolveLoad(spec: LoadSpec, targets: TargetResolver): Promise<ResolvedLoad> {
  if (spec.url) return { spec, targetName: new URL(spec.url).host, url: spec.url, headers: { ...spec.headers } };
  const name = spec.target as string;
  const t = await targets.resolve(name);
  return { spec, targetName: name, url: `${t.url}${spec.path}`, headers: { ...t.headers, ...spec.headers } };
}
