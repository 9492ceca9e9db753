import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EnvironmentError } from '../../core/index.js';

const run = promisify(execFile);

/** k6 exits with 99 when thresholds were crossed (k6's errext/exitcodes). */
export const K6_THRESHOLDS_CROSSED = 99;
/** how long k6 gets after SIGINT to stop its VUs and write its summary before it is killed */
export const K6_STOP_GRACE_MS = 10_000;

/**
 * `k6 version` of a binary (k6 on PATH or the load's `k6Binary`, e.g. an xk6 build): the first
 * line, as k6 prints it (`k6 v0.52.0 (go1.22.4, linux/amd64)` followed by extensions, if any).
 */
export async function k6Version(binary: string): Promise<string> {
  try {
    const { stdout } = await run(binary, ['version'], { timeout: 15_000 });
    const lines = stdout.trim().split('\n');
    return lines.join('; ');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new EnvironmentError(binary === 'k6' ? 'k6 not found on PATH' : `k6 binary ${binary} not found`, {
        hint: 'install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/), or point k6Binary: at one (e.g. a build made with xk6)',
      });
    }
    throw new EnvironmentError(`${binary} version failed: ${(err as Error).message}`, { hint: 'k6Binary: must be a k6 executable', cause: err });
  }
}
