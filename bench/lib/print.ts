import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dependencyVersion } from '../../src/core/index.js';

/** Pads columns to their widest cell; numbers and ratios right-aligned, first column left. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fixed = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
export const ratio = (a: number, b: number | null | undefined): string => (b ? `${(a / b).toFixed(2)}×` : '-');
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function machine(): string {
  const cpu = cpus();
  const [l1, l5] = loadavg();
  return [
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${mib(totalmem())} RAM (${mib(freemem())} free), ${process.platform} ${release()}, load ${fixed(l1, 2)}/${fixed(l5, 2)}`,
    `node ${process.version}, autocannon ${dependencyVersion('autocannon')}`,
  ].join('\n');
}
