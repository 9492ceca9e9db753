import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, UsageError, writeFileAtomically, type ExitCodeValue } from '../../core/index.js';
import { lastGoodFromInflux, resolveInfluxConfig, type InfluxConfig } from '../../metrics/index.js';
import type { SinksDoc } from '../../plan/index.js';
import { comparisonSummary, comparisonTable, type Table } from '../../report/index.js';
import { compareRuns, findLastGood, readRunFolder, type RunComparison, type RunResult } from '../../results/index.js';
import type { CliIO } from '../io.js';

export const COMPARISON_FILE = 'comparison.json';

export interface CompareFlags {
  baseline: string;
  out: string;
  influxUrl?: string;
}

/** A run given as a folder path or as a run id under `out`. */
export async function runFolder(ref: string, out: string): Promise<string> {
  for (const dir of [ref, path.join(out, ref)]) {
    const ok = await stat(path.join(dir, 'run.json')).then(() => true, () => false);
    if (ok) return dir;
  }
  throw new UsageError(`unknown run "${ref}": neither ${ref} nor ${path.join(out, ref)} holds a run.json`, {
    hint: `give a run folder or the id of a run under ${out}/ (or --out <dir>), or last-good`,
  });
}

/**
 * The baseline of `run`: `last-good` (the newest passed run of the same plan under `out`), or a run
 * id or folder. null when there is no last good run yet.
 */
export async function resolveBaseline(
  ref: string, out: string, planName: string, runId?: string, influx?: InfluxConfig | null,
): Promise<{ dir: string; run: RunResult } | null> {
  if (ref === 'last-good') {
    const folder = await findLastGood(out, planName, runId);
    if (folder || !influx) return folder;
    const run = await lastGoodFromInflux(influx, planName, runId);
    return run ? { dir: run.plan.file, run } : null;
  }
  const dir = await runFolder(ref, out);
  return { dir, run: (await readRunFolder(dir)).run };
}

/** `crt compare <run> --baseline <run|last-good>`: the delta table on stdout, comparison.json in the run folder. */
export async function compareCommand(ref: string, flags: CompareFlags, io: CliIO): Promise<ExitCodeValue> {
  const dir = await runFolder(ref, flags.out);
  const { run } = await readRunFolder(dir);
  const planSinks = (run.plan.resolved as { sinks?: SinksDoc } | null)?.sinks;
  const influx = flags.baseline === 'last-good' ? resolveInfluxConfig(planSinks?.influx, { url: flags.influxUrl, env: process.env, baseDir: path.dirname(run.plan.file) }) : null;
  const baseline = await resolveBaseline(flags.baseline, flags.out, run.plan.name, run.runId, influx);
  if (!baseline) {
    io.stderr.write(`no last good run of plan ${run.plan.name} under ${flags.out}/${influx ? ` nor in InfluxDB at ${influx.url}` : ''}: nothing to compare with yet\n`);
    return ExitCode.passed;
  }
  if (baseline.run.runId === run.runId) throw new UsageError(`the baseline is the run itself (${run.runId})`, { hint: 'give an earlier run as --baseline' });
  noteOtherPlan(baseline.run, run.plan.name, io);
  const comparison = compareRuns(run, baseline.run, baseline.dir);
  // the same two runs give the same file: comparing again overwrites it with itself
  await writeFileAtomically(path.join(dir, COMPARISON_FILE), `${JSON.stringify(comparison, null, 2)}\n`);
  io.stdout.write(textTable(comparisonTable(comparison)));
  reportComparison(comparison, io);
  return comparison.regressions > 0 ? ExitCode.failed : ExitCode.passed;
}

/** A baseline of another plan is allowed (cases match by id), but rarely meant: say so. */
export function noteOtherPlan(baseline: RunResult, planName: string, io: CliIO): void {
  if (baseline.plan.name !== planName) io.stderr.write(`note: the baseline ${baseline.runId} is a run of plan ${baseline.plan.name}, not ${planName}: cases are matched by id\n`);
}

/** One line on stderr: what was compared and whether it regressed. */
export function reportComparison(c: RunComparison, io: CliIO): void {
  io.stderr.write(`${c.regressions > 0 ? 'REGRESSION' : 'compare'}: ${comparisonSummary(c)}\n`);
}

/** A plain-text table, columns padded, figures right-aligned. */
export function textTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (t.numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(t.headers), ...t.rows.map(line)].join('\n')}\n`;
}
