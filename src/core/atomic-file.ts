import { open } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { EnvironmentError } from './errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'a folder is in the way',
  ENOENT: 'a folder of the path does not exist',
  EMFILE: 'too many open files in this process (ulimit -n)',
  ENFILE: 'too many open files on this machine',
  EIO: 'input/output error',
};

/** `ENOSPC (no space left on the device)`: an fs error's code with what it means, for messages. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code) return err instanceof Error ? err.message : String(err);
  return REASONS[code] ? `${code} (${REASONS[code]})` : code;
}

/** The EnvironmentError (exit 3) of an output file or folder crt cannot write. */
export function outputError(what: string, err: unknown, hint = 'check that the folder is writable and its disk has room'): EnvironmentError {
  return new EnvironmentError(`cannot write ${what}: ${describeFsError(err)}`, { hint, cause: err });
}

/**
 * Writes a file so that a reader sees the old content or the new, never a torn one: the content goes
 * to a temporary file beside it (same folder, so the same file system), is fsynced, renamed over the
 * file, and the folder is fsynced so the rename itself survives a crash. write-file-atomic does the
 * first three and removes its temporary file on failure; the folder's fsync is ours.
 * A failure is an EnvironmentError naming the file and the reason (a full disk: ENOSPC).
 */
export async function writeFileAtomically(file: string, content: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(file, content, typeof content === 'string' ? { encoding: 'utf8', fsync: true } : { fsync: true });
    await fsyncFolder(path.dirname(file));
  } catch (err) {
    throw outputError(file, err);
  }
}

async function fsyncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // some file systems cannot fsync a folder (EINVAL): the file itself is on disk already
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}
