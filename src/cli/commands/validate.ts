import { formatDuration, formatProblem, PlanError } from '../../core/index.js';
import { loadPlan, plannedCaseMs } from '../../plan/index.js';
import { LAYERS } from '../../results/index.js';
import type { CliIO } from '../io.js';

/** `crt validate <plan...>`: every problem of every plan, or a summary of each valid one. */
export function validateCommand(files: string[], io: CliIO): number {
  let invalid = 0;
  for (const file of files) {
    try {
      const { plan, warnings } = loadPlan(file);
      for (const w of warnings) io.stderr.write(`${formatProblem(w)}\n`);
      const perLayer = LAYERS.map((l) => [l, plan.cases.filter((c) => c.layer === l).length] as const);
      const planned = plan.cases.map(plannedCaseMs);
      const known = planned.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
      const unbounded = planned.filter((ms) => ms === null).length;
      io.stdout.write(
        `${plan.display}: valid — plan "${plan.name}"${plan.title ? ` (${plan.title})` : ''}\n` +
          `  ${perLayer.map(([l, n]) => `${l} ${n}`).join(', ')} — ${plan.cases.length} case${plan.cases.length === 1 ? '' : 's'}\n` +
          `  planned duration ${formatDuration(known)}${unbounded ? ` + ${unbounded} case(s) bounded by request count` : ''} (load and timelines; conditions come on top)\n`,
      );
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      invalid++;
      for (const p of err.problems) io.stderr.write(`${formatProblem(p)}\n`);
      io.stderr.write(`${file}: ${err.message}\n`);
    }
  }
  return invalid > 0 ? 2 : 0;
}
