import { UnsupportedError } from '../core/index.js';
import { AutocannonEngine } from './autocannon/engine.js';
import type { LoadEngine } from './engine.js';
import { K6Engine } from './k6/engine.js';

export type { LoadEngine, PreparedLoad, ResolvedLoad, GeneratorMessage, PrepareContext, InfluxTarget } from './engine.js';
export { Recorder } from './recorder.js';
export { CRT_OWN_FDS, localConnections, openFilesLimit } from './fd-limit.js';

/** Engines by the name a load's `engine:` gives. */
export const builtinEngines = {
  autocannon: () => new AutocannonEngine(),
  k6: (o) => new K6Engine(o.k6Binary),
} satisfies Record<string, (o: EngineOptions) => LoadEngine>;

/** Per-load settings an engine is built with. */
export interface EngineOptions {
  /** engine k6: the executable (default `k6` on PATH) */
  k6Binary?: string;
}

export function createEngine(name: string, options: EngineOptions = {}): LoadEngine {
  const factory = (builtinEngines as Record<string, ((o: EngineOptions) => LoadEngine) | undefined>)[name];
  if (!factory) {
    throw new UnsupportedError(`load engine "${name}" is not available in this build of crt`, {
      hint: `available engines: ${Object.keys(builtinEngines).join(', ')}`,
    });
  }
  return factory(options);
}
export { K6SampleBuilder } from './k6/output.js';
export { generateK6Script } from './k6/script.js';
export { parseWorkerLine, runLoadWorker, WORKER_CONFIG_ENV, type WorkerConfig } from './worker.js';
