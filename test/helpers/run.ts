import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, systemClock } from '../../src/core/index.js';
import { FileJournalStore, Journal } from '../../src/faults/index.js';
import { FileSink, SinkSet, type Sink } from '../../src/metrics/index.js';
import { loadPlan, selectAll } from '../../src/plan/index.js';
import type { CaseEvent } from '../../src/results/types.js';
import { runPlan, type RunOutcome } from '../../src/runner/index.js';

export async function writePlan(dir: string, yaml: string, name = 'plan.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, yaml);
  return file;
}

/** A shell command that calls `url` with Node (no curl needed on the machine). */
export function httpCall(url: string): string {
  return `node -e "fetch('${url}').then(r => r.text()).then(t => console.log(t))"`;
}

/**
 * A YAML flow map for an exec fault that switches a `switchable()` server into failing (503s)
 * and back: `extra` adds keys such as `, name: outage, revertAfter: 2s`.
 */
export function outageStep(serverUrl: string, at: string, extra = ''): string {
  const call = (path: string) => JSON.stringify(httpCall(`${serverUrl}${path}`));
  return `{at: ${at}, fault: exec, command: ${call('/fail-on')}, revertCommand: ${call('/fail-off')}${extra}}`;
}

/** Loads and runs a plan file with the file sink in `dir`; returns the outcome and the events seen. */
export async function runPlanFile(file: string, dir: string, opts: { signal?: AbortSignal; sinks?: Sink[]; notices?: string[]; only?: string[] } = {}): Promise<RunOutcome & { events: CaseEvent[] }> {
  const { plan } = loadPlan(file, {});
  const events: CaseEvent[] = [];
  const sinks = new SinkSet([new FileSink(dir), ...(opts.sinks ?? [])], silentLogger);
  const outcome = await runPlan(plan, plan.cases.filter((c) => !opts.only || opts.only.includes(c.id)), {
    runId: 'test-run', dir, clock: systemClock, log: silentLogger, signal: opts.signal ?? new AbortController().signal,
    sinks, journal: new Journal('test-run', [new FileJournalStore(path.join(dir, 'journal.jsonl'))]),
    observer: { caseEvent: (_c, e) => events.push(e), notice: (m) => opts.notices?.push(m) }, selection: selectAll, command: 'test',
  });
  await sinks.close();
  outcome.result.sinks = sinks.status();
  return { ...outcome, events };
}
