import { UnsupportedError } from '../core/errors.js';
import { AutocannonEngine } from './autocannon/engine.js';
import type { LoadEngine } from './engine.js';

export type { LoadEngine, PreparedLoad, ResolvedLoad, GeneratorMessage, PrepareContext } from './engine.js';
export { Recorder } from './recorder.js';

/** Engines by the name a load's `engine:` gives. */
export const builtinEngines = {
  autocannon: () => new AutocannonEngine(),
} satisfies Record<string, () => LoadEngine>;

export function createEngine(name: string): LoadEngine {
  const factory = (builtinEngines as Record<string, (() => LoadEngine) | undefined>)[name];
  if (!factory) {
    throw new UnsupportedError(`load engine "${name}" is not available in this build of crt`, {
      hint: `available engines: ${Object.keys(builtinEngines).join(', ')}`,
    });
  }
  return factory();
}
