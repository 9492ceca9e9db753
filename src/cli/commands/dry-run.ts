import { formatDuration } from '../../core/units.js';
import { describeCase } from '../../plan/describe.js';
import type { CaseSpec, Plan } from '../../plan/types.js';
import type { CliIO } from '../io.js';

/** `crt run --dry-run`: what would run, in plan order. Nothing is sent, nothing is changed. */
export function printDryRun(plan: Plan, cases: readonly CaseSpec[], io: CliIO): void {
  const w = (s: string) => io.stdout.write(`${s}\n`);
  w(`dry run of ${plan.display}: ${cases.length} of ${plan.cases.length} case(s) selected — nothing is sent, nothing is changed`);
  for (const c of cases) {
    const v = describeCase(c);
    w('');
    w(`${c.id} [${c.layer}] ${c.title}${v.plannedDurationMs !== null ? ` — planned ${formatDuration(v.plannedDurationMs)}` : ''}${c.tags.length ? ` — tags ${c.tags.join(', ')}` : ''}`);
    w(`  objective:  ${c.objective}`);
    for (const line of v.conditions) w(`  condition:  ${line}`);
    if (v.load) w(`  load:       ${v.load}`);
    for (const line of v.trigger) w(`  trigger:    ${line}`);
    for (const line of v.expect) w(`  expect:     ${line}`);
    for (const line of v.abortIf) w(`  abort if:   ${line}`);
  }
}
