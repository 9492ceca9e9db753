import { CRT_OWN_FDS, localConnections, openFilesLimit } from '../../load/index.js';
import type { CaseSpec } from '../../plan/index.js';
import type { CliIO } from '../io.js';

/**
 * Warns before the run when a case asks for more connections than this process may open files
 * (`ulimit -n`): those beyond the limit fail with EMFILE and the case ends inconclusive. A warning, not
 * a refusal: the rest of the plan may still be worth running, and the case says what happened.
 */
export function warnFdLimit(cases: readonly CaseSpec[], io: CliIO, limit = openFilesLimit()): void {
  if (limit === undefined) return;
  for (const c of cases) {
    const connections = c.load ? localConnections(c.load) : 0;
    if (connections + CRT_OWN_FDS <= limit) continue;
    io.stderr.write(`warning: case ${c.id} opens ${connections} connections but this process may open ${limit} files (ulimit -n): ` +
      `connections beyond it fail with EMFILE and the case will be inconclusive\n  hint: raise the limit (ulimit -n ${Math.max(65536, connections * 2)}) or lower connections\n`);
  }
}
