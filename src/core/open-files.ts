import { readFileSync } from 'node:fs';

/**
 * The soft limit on open files of this process (`ulimit -n`), or undefined where it cannot be read.
 * Node has no getrlimit(); Linux publishes the limits in /proc/self/limits, which is read instead of
 * adding a native addon for one number.
 */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? undefined : Number(m[1]);
}

/** Open files crt needs to load its modules and start (Node opens them concurrently): measured 768 too few, 1024 enough. */
export const OPEN_FILES_TO_START = 1024;

/**
 * Whether an unexpected error is this process (EMFILE) or the machine (ENFILE) out of file descriptors,
 * or a module that failed to load under a limit too low to load crt (Node then may report EMFILE as a
 * module not found): the environment's problem, not a bug in crt.
 */
export function outOfFileDescriptors(err: unknown, limit = openFilesLimit()): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EMFILE' || code === 'ENFILE') return true;
  return code === 'ERR_MODULE_NOT_FOUND' && limit !== undefined && limit < OPEN_FILES_TO_START;
}
