import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes one report file under the run folder, creating sub-folders; returns its relative path. */
export async function writeReportFile(dir: string, relPath: string, content: string): Promise<string> {
  const path = join(dir, relPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, 'utf8');
  return relPath;
}
