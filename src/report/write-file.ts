import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { outputError, writeFileAtomically } from '../core/index.js';

/**
 * Writes one report file under the run folder, creating sub-folders; returns its relative path.
 * Atomic (a temporary file renamed over it): `crt report` run again on a full disk keeps the last
 * complete report instead of truncating it.
 */
export async function writeReportFile(dir: string, relPath: string, content: string | Buffer): Promise<string> {
  const path = join(dir, relPath);
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw outputError(dirname(path), err);
  }
  await writeFileAtomically(path, content);
  return relPath;
}
