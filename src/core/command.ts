import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** the last 16 KiB of each stream */
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
}

export interface CommandOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

const TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 2000;

/**
 * Runs a shell command (hooks, exec faults, command probes) with a timeout. The shell runs in
 * its own process group so that a timeout or an abort also stops what it started (`sleep`,
 * `ssh`...): SIGTERM to the group, SIGKILL 2 s later. Never rejects for the command's own
 * failure: the caller reads `exitCode`.
 */
export function runCommand(command: string, opts: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | null = null;
    const tail = (s: string) => (s.length > TAIL_BYTES ? s.slice(-TAIL_BYTES) : s);
    child.stdout.on('data', (d: Buffer) => (stdout = tail(stdout + d.toString())));
    child.stderr.on('data', (d: Buffer) => (stderr = tail(stderr + d.toString())));
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, stdout, stderr, durationMs: performance.now() - started, timedOut, aborted });
    });
  });
}

/** One line saying how a command ended, with the end of its output. */
export function describeCommandResult(r: CommandResult): string {
  const how = r.timedOut ? 'timed out' : r.aborted ? 'was interrupted' : r.exitCode !== null ? `exited ${r.exitCode}` : `was killed by ${r.signal}`;
  const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
  return output ? `${how}: ${output.slice(0, 300)}` : how;
}
