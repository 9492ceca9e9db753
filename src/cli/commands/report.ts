import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { outputError, type Logger } from '../../core/index.js';
import { builtinReporters, renderAll } from '../../report/index.js';
import { checkDashboardTemplate, dashboardLink, readRunFolder, writeRunJson } from '../../results/index.js';
import type { CliIO } from '../io.js';
import { readSignOff } from './report-sign-off.js';

export interface ReportFlags {
  /** a YAML file filling the sign-off block (report-sign-off.ts) */
  signOff?: string;
  /** a dashboard link template (results/dashboard-link.ts) */
  grafanaUrl?: string;
}

/**
 * `crt report <run-folder>`: renders the reports again from run.json, timeseries.jsonl and cluster.jsonl alone.
 * `--sign-off` and `--grafana-url` are recorded in run.json first, so the next rendering keeps them.
 */
export async function reportCommand(dir: string, io: CliIO, log: Logger, flags: ReportFlags = {}): Promise<number> {
  const { run, timeseries, cluster, clusterEvents } = await readRunFolder(dir);
  // checked before anything is written: a bad file changes nothing
  const signOff = flags.signOff ? await readSignOff(flags.signOff) : null;
  if (flags.grafanaUrl) checkDashboardTemplate(flags.grafanaUrl, '--grafana-url');
  // the reports go beside run.json: a folder that cannot take them is the environment's problem (exit 3), found before rendering
  await access(dir, constants.W_OK).catch((err: unknown) => {
    throw outputError(`the reports into ${dir}`, err, 'run crt report on a writable copy of the run folder (cp -r)');
  });
  if (signOff || flags.grafanaUrl) {
    if (signOff) run.signOff = signOff;
    if (flags.grafanaUrl) run.dashboard = dashboardLink(flags.grafanaUrl, run);
    await writeRunJson(dir, run);
  }
  const statuses = await renderAll({ run, timeseries, cluster, clusterEvents, dir }, builtinReporters, log);
  for (const s of statuses) {
    if (s.skipped) io.stderr.write(`reporter ${s.name} ${s.skipped}\n`);
    if (s.ok) for (const f of s.files) io.stdout.write(`${path.join(dir, f)}\n`);
    else io.stderr.write(`reporter ${s.name} failed: ${s.error ?? 'unknown error'}\n`);
  }
  return statuses.every((s) => s.ok) ? 0 : 1;
}
