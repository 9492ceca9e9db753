import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);
/** dist/bench/lib/ → the package root */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const AUTOCANNON_CLI = `${root}node_modules/.bin/autocannon`;

export interface CliThroughput {
  rps: number;
  total: number | null;
}

/** The autocannon CLI, closed model, in its own process: `autocannon -c C -d D -j url`. */
export async function autocannonCli(url: string, connections: number, durationSec: number): Promise<CliThroughput> {
  const { stdout } = await run(AUTOCANNON_CLI, ['-c', String(connections), '-d', String(durationSec), '-j', url], { maxBuffer: 16 << 20 });
  const json = JSON.parse(stdout) as { requests: { average: number; total: number } };
  return { rps: json.requests.average, total: json.requests.total };
}

export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return null;
  return /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

/** `wrk -t1 -cC -dDs url`; its "Requests/sec" line. */
export async function wrk(url: string, connections: number, durationSec: number): Promise<CliThroughput> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${durationSec}s`, url]);
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
