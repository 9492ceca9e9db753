import { spawn } from 'node:child_process';
import { EnvironmentError } from '../../core/index.js';

/** What `ip` printed, or the reason it could not run. */
export interface IpResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** spawn failure (ENOENT: iproute2 missing) */
  error?: NodeJS.ErrnoException;
}

/** Runs iproute2's `ip` with `args` (and `input` on stdin, for `-batch -`), whatever its exit status. */
export function runIp(args: readonly string[], input?: string): Promise<IpResult> {
  return runCommand('ip', args, input);
}

/** Runs `file` with `args` (and `input` on stdin), whatever its exit status: what it printed, or why it could not run. */
export function runCommand(file: string, args: readonly string[], input?: string): Promise<IpResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, error }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs `ip`, failing with an EnvironmentError that quotes the command and what it said. */
export async function ip(args: readonly string[], input?: string): Promise<string> {
  const r = await runIp(args, input);
  if (r.error?.code === 'ENOENT') throw new EnvironmentError('the ip command (iproute2) is not installed', { hint: 'install iproute2 (Debian: apt-get install iproute2)' });
  if (r.code !== 0) {
    const said = (r.stderr || r.stdout).trim() || r.error?.message || `exit ${r.code}`;
    throw new EnvironmentError(`ip ${args.join(' ')} failed: ${said}`, { hint: 'network namespaces need root and iproute2 (see netnsSupport())' });
  }
  return r.stdout;
}

/** Runs `commands` (one `ip` command each, without the leading `ip`) in namespace `ns` with one `ip -batch`. */
export async function ipBatch(ns: string, commands: readonly string[]): Promise<void> {
  if (commands.length === 0) return;
  await ip(['-n', ns, '-batch', '-'], commands.join('\n') + '\n');
}

/** The named network namespaces `ip netns` knows (their files in /run/netns). */
export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['-j', 'netns', 'list']);
  if (!out.trim()) return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/** Pids of the processes in namespace `ns` (empty once it is gone). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await runIp(['netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}
