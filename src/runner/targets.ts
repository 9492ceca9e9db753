import { UnsupportedError, UsageError } from '../core/errors.js';
import type { ResolvedLoad } from '../load/engine.js';
import type { TargetResolver } from '../probes/probe.js';
import type { LoadSpec, Target } from '../plan/types.js';

/** Targets of a plan given as URLs. Targets naming a cluster Service need the cluster support. */
export class PlanTargets implements TargetResolver {
  constructor(private readonly targets: Readonly<Record<string, Target>>) {}

  async resolve(name: string): Promise<{ url: string; headers: Record<string, string> }> {
    const t = this.targets[name];
    if (!t) throw new UsageError(`unknown target ${name}`);
    if (t.url) return { url: t.url, headers: { ...t.headers } };
    throw new UnsupportedError(`target ${name} names the cluster service ${t.service}, which this build of crt cannot resolve`, {
      hint: `${t.location.file}:${t.location.line}:${t.location.col}: give the target a url`,
    });
  }
}

export async function resolveLoad(spec: LoadSpec, targets: TargetResolver): Promise<ResolvedLoad> {
  if (spec.url) return { spec, targetName: new URL(spec.url).host, url: spec.url, headers: { ...spec.headers } };
  const name = spec.target as string;
  const t = await targets.resolve(name);
  return { spec, targetName: name, url: `${t.url}${spec.path}`, headers: { ...t.headers, ...spec.headers } };
}
