import path from 'node:path';
import type { Logger } from '../../core/log.js';
import { builtinReporters } from '../../report/index.js';
import { renderAll } from '../../report/render-all.js';
import { readRunFolder } from '../../results/run-folder.js';
import type { CliIO } from '../io.js';

/** `crt report <run-folder>`: renders the reports again from run.json, timeseries.jsonl and cluster.jsonl alone. */
export async function reportCommand(dir: string, io: CliIO, log: Logger): Promise<number> {
  const { run, timeseries, cluster, clusterEvents } = await readRunFolder(dir);
  const statuses = await renderAll({ run, timeseries, cluster, clusterEvents, dir }, builtinReporters, log);
  for (const s of statuses) {
    if (s.skipped) io.stderr.write(`reporter ${s.name} ${s.skipped}\n`);
    if (s.ok) for (const f of s.files) io.stdout.write(`${path.join(dir, f)}\n`);
    else io.stderr.write(`reporter ${s.name} failed: ${s.error ?? 'unknown error'}\n`);
  }
  return statuses.every((s) => s.ok) ? 0 : 1;
}
