import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/results/types.js';
import { onCpu } from './pin.js';

const run = promisify(execFile);
/** dist/bench/lib/ → the package root */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const CRT_CLI = join(root, 'bin', 'crt.js');

export interface CrtCliRun {
  /** answers completed ÷ the planned duration, as the other tools count */
  rps: number;
  total: number;
  p50Ms: number | null;
  /** seconds the generator was saturated in (run.json `load.generatorLimited`) */
  limitedSecs: number;
}

/**
 * crt as a user runs it: `crt run plan.yaml` with one case, closed model, against `url`, in its own
 * process (on `cpu` when given), with everything on that a run has: per-second HDR histograms, the
 * file sink (timeseries.jsonl, events.jsonl) and the reports written at the end. The figures are
 * read back from run.json.
 */
export async function crtCli(url: string, connections: number, durationSec: number, cpu: number | null = null): Promise<CrtCliRun> {
  const dir = await mkdtemp(join(tmpdir(), 'crt-bench-cli-'));
  try {
    const plan = join(dir, 'plan.yaml');
    await writeFile(plan, [
      'apiVersion: crt/v1',
      'metadata: {name: bench}',
      `targets: {t: {url: "${url}"}}`,
      'layers:',
      '  logical:',
      '    - id: BENCH-01',
      '      title: throughput',
      '      objective: as many answers as the target gives',
      `      load: {target: t, connections: ${connections}, duration: ${durationSec}s}`,
      '',
    ].join('\n'));
    await run(...onCpu(cpu, process.execPath, [CRT_CLI, 'run', plan, '--out', dir, '--run-id', 'r']), { maxBuffer: 16 << 20 });
    const result = JSON.parse(await readFile(join(dir, 'r', 'run.json'), 'utf8')) as RunResult;
    const c = result.cases[0];
    const whole = c?.phases.find((p) => p.name === 'whole')?.stats;
    if (!c || !whole) throw new Error(`crt recorded nothing against ${url}: ${c?.reason ?? 'no case'}`);
    return { rps: whole.requests / durationSec, total: whole.requests, p50Ms: whole.latency?.p50 ?? null, limitedSecs: c.load?.generatorLimited?.length ?? 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
