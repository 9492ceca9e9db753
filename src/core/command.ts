import { spawn } from 'node:child_process';
import { Redactor } from './redact.js';
import { expandVariables, referencedVariables } from './variables.js';

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** the last 16 KiB of each stream, with the secrets of the command's environment masked */
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
 * failure: the caller reads `exitCode`. Its output ends up in reports and journals: the values of
 * its environment's secret-looking variables (API_KEY, DB_PASSWORD, a URL's password) are masked.
 */
export function runCommand(command: string, opts: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const env = { ...process.env, ...opts.env };
  const secrets = new Redactor().collect(env);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: opts.cwd,
      env,
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
      resolve({ exitCode, signal, stdout: secrets.text(stdout), stderr: secrets.text(stderr), durationMs: performance.now() - started, timedOut, aborted });
    });
  });
}

/** One line saying how a command ended, with the end of its output. */
export function describeCommandResult(r: CommandResult): string {
  const how = r.timedOut ? 'timed out' : r.aborted ? 'was interrupted' : r.exitCode !== null ? `exited ${r.exitCode}` : `was killed by ${r.signal}`;
  const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
  return output ? `${how}: ${output.slice(0, 300)}` : how;
}

/**
 * The environment a plan's command gets: its `env:` values expanded from crt's environment (the plan
 * keeps their `${…}` references, src/plan/env.ts). `missing`: referenced variables without value nor default.
 */
export function commandEnvironment(templates: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>): { env: Record<string, string>; missing: string[] } {
  const missing = new Set<string>();
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(templates)) {
    const r = expandVariables(template, env);
    r.missing.forEach((m) => missing.add(m));
    out[key] = r.text;
  }
  return { env: out, missing: [...missing] };
}

/**
 * The variables a command reads from crt's environment: its `${NAME}` references without a default and
 * those of its `env:` values, that are set now (a shell's own `$${i}` is not) and not set by `env:` itself.
 * A revert journals these names, never their values, and finds them again when it runs.
 */
export function variablesNeeded(command: string, templates: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>): string[] {
  const own = referencedVariables(command, false).filter((n) => !Object.hasOwn(templates, n));
  const names = [...own, ...Object.values(templates).flatMap((t) => referencedVariables(t, false))];
  return [...new Set(names)].filter((n) => Boolean(env[n]));
}
