import { EnvironmentError } from '../core/index.js';
import { DistributedJobEngine, K6OperatorEngine } from '../distributed/index.js';
import type { KubeClients } from '../kube/index.js';
import { builtinEngines, createEngine, type LoadEngine } from '../load/index.js';
import type { LoadSpec } from '../plan/index.js';
import { SessionEngine } from '../sessions/index.js';

/** The engine of a case's load: a local one (autocannon threads, a k6 process) or workers in the run's cluster. */
export function engineFor(load: LoadSpec, ctx: { runId: string; kube?: KubeClients }): LoadEngine {
  const d = load.distributed;
  if (!d) return localEngine(load);
  if (!ctx.kube) {
    throw new EnvironmentError('a distributed load runs in the run\'s cluster, and this run has none', { hint: 'declare cluster: in the plan (local: for the embedded one)' });
  }
  if (d.via === 'k6-operator') return new K6OperatorEngine(ctx.kube, d, ctx.runId);
  return new DistributedJobEngine(ctx.kube, d, ctx.runId);
}

/** The engine of a load run from crt's process: sessions (src/sessions/), or a request engine of load/. */
export function localEngine(load: LoadSpec): LoadEngine {
  if (load.engine === 'sessions') return new SessionEngine();
  return createEngine(load.engine, { k6Binary: load.k6Binary });
}

/** Whether this build runs loads of engine `name` (the request engines of load/, and sessions). */
export function hasEngine(name: string): boolean {
  return name === 'sessions' || Object.hasOwn(builtinEngines, name);
}
