import { errorMessage, formatDuration, silentLogger, systemClock } from '../../core/index.js';
import { faultDefinition, type FaultContext } from '../../faults/index.js';
import type { KubeClients } from '../../kube/index.js';
import { checkContext, openCluster } from '../../runner/index.js';
import { describeCase, type CaseSpec, type Plan } from '../../plan/index.js';
import type { CliIO } from '../io.js';

/**
 * `crt run --dry-run` against the plan's cluster (reached by kubeconfig): each fault's selectors are
 * resolved through the API, read-only, and the pods, nodes and policies it would touch are printed.
 * The embedded cluster of `cluster.local` does not exist before the run: its faults are described only.
 */
export async function printDryRunResolved(plan: Plan, cases: readonly CaseSpec[], io: CliIO): Promise<void> {
  printDryRun(plan, cases, io);
  const w = (s: string) => io.stdout.write(`${s}\n`);
  if (!plan.cluster || plan.cluster.local || !cases.some((c) => c.trigger.length > 0)) return;
  const cluster = await openCluster(plan, '.', silentLogger, new AbortController().signal, () => undefined);
  if (!cluster) return;
  checkContext(plan, cluster.context);
  w('');
  w(`resolved against ${cluster.kube.server}${cluster.context ? ` (context ${cluster.context})` : ''}, read-only:`);
  for (const c of cases) {
    for (const a of c.trigger) w(`  ${c.id}/${a.name}: ${await resolveFault(cluster.kube, c, a)}`);
  }
}

async function resolveFault(kube: KubeClients, c: CaseSpec, a: CaseSpec['trigger'][number]): Promise<string> {
  const def = faultDefinition(a.kind);
  if (!def) return `${a.kind}: not available in this build`;
  const ctx: FaultContext = { runId: 'dry-run', caseId: c.id, step: a.name, clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube };
  try {
    const planned = await def.create(a).plan(ctx);
    const touches = planned.targets.length ? `\n      would touch: ${planned.targets.join(', ')}` : '';
    return `would ${planned.summary}${touches}\n      revert: ${planned.revert ? JSON.stringify(planned.revert) : 'none'}`;
  } catch (err) {
    return `cannot resolve now: ${errorMessage(err)}`;
  }
}

/** `crt run --dry-run`: what would run, in plan order. Nothing is sent, nothing is changed. */
export function printDryRun(plan: Plan, cases: readonly CaseSpec[], io: CliIO): void {
  const w = (s: string) => io.stdout.write(`${s}\n`);
  w(`dry run of ${plan.display}: ${cases.length} of ${plan.cases.length} case(s) selected — nothing is sent, nothing is changed`);
  for (const c of cases) {
    const v = describeCase(c);
    w('');
    w(`${c.id} [${c.layer}] ${c.title}${v.plannedDurationMs !== null ? ` — planned ${formatDuration(v.plannedDurationMs)}` : ''}${c.tags.length ? ` — tags ${c.tags.join(', ')}` : ''}`);
    w(`  objective:  ${c.objective}`);
    if (v.clusterSettings) w(`  cluster:    ${v.clusterSettings}`);
    for (const line of v.conditions) w(`  condition:  ${line}`);
    if (v.load) w(`  load:       ${v.load}`);
    for (const line of v.trigger) w(`  trigger:    ${line}`);
    for (const line of v.expect) w(`  expect:     ${line}`);
    for (const line of v.abortIf) w(`  abort if:   ${line}`);
  }
}
