import net from 'node:net';
import { EnvironmentError, UnsupportedError } from '../core/index.js';
import { faultDefinition } from '../faults/index.js';
import { hasEngine } from './engines.js';
import { serviceFromHost } from '../kube/index.js';
import type { CaseSpec, Location, Plan, Target } from '../plan/index.js';
import { probeFactory, type TargetResolver } from '../probes/index.js';

const at = (l: Location) => `${l.file}:${l.line}:${l.col}`;

/**
 * Everything the selected cases need that this build cannot do, found before anything runs:
 * one UnsupportedError (exit 2) listing each use with its location.
 */
export function checkSupported(plan: Plan, cases: readonly CaseSpec[]): void {
  const missing: string[] = [];
  for (const c of cases) {
    if (c.load && !hasEngine(c.load.engine)) missing.push(`${at(c.load.location)} engine ${c.load.engine}`);
    for (const a of c.trigger) if (!faultDefinition(a.kind)) missing.push(`${at(a.location)} fault ${a.kind}`);
    for (const p of [...c.conditions, ...c.expect.probes]) if (!probeFactory(p.kind)) missing.push(`${at(p.location)} probe ${p.kind}`);
  }
  if (missing.length > 0) {
    throw new UnsupportedError(`this build of crt cannot run ${missing.length === 1 ? 'a feature' : 'features'} the selected cases use:\n  ${missing.join('\n  ')}`, {
      hint: 'the plan is valid; these features arrive with later work — run other cases with --only, --tags or --layer',
    });
  }
}

/** Whether a target can only be resolved once the plan's cluster is open (a Service, or a Service DNS name). */
export function needsCluster(t: Target | undefined): boolean {
  return Boolean(t && (t.service || (t.url && serviceFromHost(new URL(t.url).hostname))));
}

/** Targets the selected cases send requests to (loads and http probes). */
export function usedTargets(cases: readonly CaseSpec[]): Set<string> {
  const names = new Set<string>();
  for (const c of cases) {
    if (c.load?.target) names.add(c.load.target);
    for (const p of [...c.conditions, ...c.expect.probes]) if (p.kind === 'http' && typeof p.params.target === 'string') names.add(p.params.target);
  }
  return names;
}

/** Connects to each target once; an unreachable target is a clear exit 3 before anything runs, not a hang. */
export async function checkReachable(plan: Plan, names: Iterable<string>, targets: TargetResolver): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    [...names].map(async (name) => {
      const t = Object.hasOwn(plan.targets, name) ? plan.targets[name] : undefined;
      if (!t) return;
      const resolved = (await targets.resolve(name)).url;
      const url = new URL(resolved);
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      const error = await tcpCheck(url.hostname.replace(/^\[|\]$/g, ''), port, t.connectTimeoutMs);
      if (error) failures.push(`target ${name} (${resolved}${t.service ? `, service ${t.service}` : ''}) is unreachable: ${error} — ${at(t.location)}`);
    }),
  );
  if (failures.length > 0) {
    throw new EnvironmentError(failures.sort().join('\n'), { hint: 'is the service running and listening? check the target URLs in the plan (or the variables they use)' });
  }
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (err: string | null) => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
