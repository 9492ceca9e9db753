import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareRecords, KNOWN_DIFFERENCES, runFidelitySequence, type FidelityRecord } from './lib/fidelity.js';
import { machine, table } from './lib/print.js';

/**
 * The differential fidelity check (issue 13, item 5) as a report: the same sequence on the builtin and
 * the real control plane (bench/lib/fidelity.ts), every difference with the docs' explanation or
 * "NEW", and the timings side by side. Run it as root in a network namespace of its own:
 *   unshare --net --pid --fork --mount-proc sh -c 'ip link set lo up && npm run bench:fidelity'
 * Usage: npm run bench:fidelity -- [--json FILE]
 */
const { values: args } = parseArgs({ options: { json: { type: 'string' } } });

const dir = await mkdtemp(path.join(os.tmpdir(), 'crt-bench-fidelity-'));
try {
  const builtin = await runFidelitySequence('builtin', dir);
  const kubernetes = await runFidelitySequence('kubernetes', dir);
  process.stdout.write(`${machine()}\n\n`);
  process.stdout.write(`${timingTable(builtin, kubernetes)}\n\n`);
  const diffs = compareRecords(builtin, kubernetes);
  const show = (v: unknown) => JSON.stringify(v) ?? 'undefined';
  process.stdout.write(`${table(['difference', 'builtin', 'kubernetes', 'explained'], diffs.map((d) => [d.id, show(d.builtin), show(d.kubernetes), KNOWN_DIFFERENCES[d.id] ? 'yes' : 'NEW']))}\n`);
  const fresh = diffs.filter((d) => !KNOWN_DIFFERENCES[d.id]);
  process.stdout.write(`\n${diffs.length} differences, ${fresh.length} not in the fidelity table; key events: builtin ${builtin.keyEvents.join(' ')} | kubernetes ${kubernetes.keyEvents.join(' ')}\n`);
  if (args.json) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(args.json, JSON.stringify({ builtin, kubernetes, diffs }, null, 2));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

function timingTable(b: FidelityRecord, k: FidelityRecord): string {
  const rows: string[][] = [];
  for (const s of b.steps) {
    const ks = k.steps.find((x) => x.step === s.step);
    for (const [name, ms] of Object.entries(s.timingsMs)) rows.push([`${s.step} ${name}`, `${ms}`, `${ks?.timingsMs[name] ?? '-'}`]);
  }
  return table(['timing (ms from the step\'s start)', 'builtin', 'kubernetes'], rows);
}
