import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RUN_FILES } from './run-folder.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from './types.js';

/**
 * The last good run of a plan: the newest run folder under `out` (by `startedAt`) of the plan of
 * that name whose verdict is passed, that was not interrupted and did not itself regress against
 * its own baseline (a regressed run would drag the reference down night after night).
 * Folders that hold no readable run.json of this result schema are passed over.
 */
export async function findLastGood(out: string, planName: string, excludeRunId?: string): Promise<{ dir: string; run: RunResult } | null> {
  let names: string[];
  try {
    names = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let best: { dir: string; run: RunResult } | null = null;
  for (const name of names) {
    const dir = path.join(out, name);
    const run = await readRunJson(dir);
    if (!run || run.plan?.name !== planName || run.runId === excludeRunId) continue;
    if (run.verdict !== 'passed' || run.interrupted || (run.comparison?.regressions ?? 0) > 0) continue;
    if (!best || run.startedAt > best.run.startedAt) best = { dir, run };
  }
  return best;
}

/** A run folder's run.json of this result schema; null when it holds none (or an unreadable one). */
export async function readRunJson(dir: string): Promise<RunResult | null> {
  try {
    const run = JSON.parse(await readFile(path.join(dir, RUN_FILES.run), 'utf8')) as RunResult;
    return run.schemaVersion === RESULT_SCHEMA_VERSION ? run : null;
  } catch {
    return null;
  }
}
