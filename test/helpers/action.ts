import type { ActionOf, FaultKind, FaultParams } from '../../src/plan/index.js';

/** A plan step of kind K as the plan loader makes it: its params must be K's (tsc checks them). */
export function action<K extends FaultKind>(kind: K, params: FaultParams[K], name = `${kind}-1`): ActionOf<K> {
  return { kind, name, description: null, atMs: 0, revertAfterMs: null, params, ref: null, location: { file: 'plan.yaml', line: 1, col: 1, path: 'trigger[0]' } };
}
