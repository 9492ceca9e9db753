import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CRT_BIN = fileURLToPath(new URL('../../../bin/crt.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns the built CLI (`bin`: another copy of bin/crt.js). `signals` sends each signal after its delay (ms since start);
 * `signalOn` sends a signal once stderr matches (after `delayMs`).
 */
export function crt(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; bin?: string; signals?: Array<[NodeJS.Signals, number]>; signalOn?: { stderr: RegExp; signal: NodeJS.Signals; delayMs?: number }; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? CRT_BIN, ...args], {
      cwd: opts.cwd,
      // no PDF unless a test asks for it (CRT_PDF: 'on'): printing one costs ~2 s per run
      // CRT_CONTROL_PLANE: the suite's default control plane (test/helpers/setup.ts), unless a test sets its own
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CRT_PDF: 'off', ...(process.env.CRT_CONTROL_PLANE !== undefined ? { CRT_CONTROL_PLANE: process.env.CRT_CONTROL_PLANE } : {}), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const on = opts.signalOn;
      if (on && !signalled && on.stderr.test(stderr)) {
        signalled = true;
        timers.push(setTimeout(() => child.kill(on.signal), on.delayMs ?? 0));
      }
    });
    const timers = (opts.signals ?? []).map(([sig, ms]) => setTimeout(() => child.kill(sig), ms));
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      timers.forEach(clearTimeout);
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
