import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { onCpu } from './pin.js';

const run = promisify(execFile);
/** dist/bench/lib/ → the package root */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const AUTOCANNON_CLI = `${root}node_modules/.bin/autocannon`;

export interface CliThroughput {
  rps: number;
  total: number | null;
}

/** The autocannon CLI (the dependency's own version), closed model, in its own process: `autocannon -c C -d D -j url`, on `cpu` when given. */
export async function autocannonCli(url: string, connections: number, durationSec: number, cpu: number | null = null): Promise<CliThroughput> {
  const [cmd, args] = onCpu(cpu, AUTOCANNON_CLI, ['-c', String(connections), '-d', String(durationSec), '-j', url]);
  const { stdout } = await run(cmd, args, { maxBuffer: 16 << 20 });
  const json = JSON.parse(stdout) as { requests: { average: number; total: number } };
  return { rps: json.requests.average, total: json.requests.total };
}

export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return null;
  return /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

/** `wrk -t1 -cC -dDs url`; its "Requests/sec" line. */
export async function wrk(url: string, connections: number, durationSec: number, cpu: number | null = null): Promise<CliThroughput> {
  const { stdout } = await run(...onCpu(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${durationSec}s`, url]));
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (rps === undefined) throw new Error(`no Requests/sec in wrk's output:\n${stdout}`);
  const total = /(\d+) requests in/.exec(stdout)?.[1];
  return { rps: Number(rps), total: total === undefined ? null : Number(total) };
}

export function nginxVersion(bin: string): string | null {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  if (r.error) return null;
  return /nginx\/(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

export interface RatedLatency {
  p50: number;
  p99: number;
  requests: number;
}

/** autocannon in this process with `overallRate`: its own rate limiter and latency histogram (whole ms). */
export async function autocannonRated(url: string, o: { connections: number; durationSec: number; overallRate: number; ignoreCoordinatedOmission: boolean }): Promise<RatedLatency> {
  const result = await autocannon({ url, connections: o.connections, duration: o.durationSec, overallRate: o.overallRate, ignoreCoordinatedOmission: o.ignoreCoordinatedOmission });
  return { p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}

/** hey on PATH, or where `go install github.com/rakyll/hey@latest` puts it; null when absent. */
export function heyBin(): string | null {
  for (const bin of ['hey', join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'hey')]) {
    if (bin !== 'hey' && !existsSync(bin)) continue;
    const r = spawnSync(bin, ['-h'], { encoding: 'utf8' });
    if (!r.error) return bin;
  }
  return null;
}

/** `hey -z Ds -c C -cpus 1 url` (one Go thread running Go code); its "Requests/sec" line and the count of its status lines. */
export async function hey(bin: string, url: string, connections: number, durationSec: number, cpu: number | null = null): Promise<CliThroughput> {
  const { stdout } = await run(...onCpu(cpu, bin, ['-z', `${durationSec}s`, '-c', String(connections), '-cpus', '1', url]), { maxBuffer: 16 << 20 });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
  if (rps === undefined) throw new Error(`no Requests/sec in hey's output:\n${stdout}`);
  const total = [...stdout.matchAll(/\[\d+\]\s+(\d+) responses/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { rps: Number(rps), total: total || null };
}

export interface InProcessCpu {
  rps: number;
  total: number;
  /** CPU time of this process during the run ÷ answers, µs */
  cpuUsPerRequest: number;
}

/** The autocannon library in this process, closed model: the CPU it spends per answer (its own histograms on). */
export async function autocannonInProcess(url: string, connections: number, durationSec: number): Promise<InProcessCpu> {
  const before = process.cpuUsage();
  const result = await autocannon({ url, connections, duration: durationSec });
  const cpu = process.cpuUsage(before);
  return { rps: result.requests.total / durationSec, total: result.requests.total, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, result.requests.total) };
}
