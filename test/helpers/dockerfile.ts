import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './grafana.js';

export const DOCKERFILE = path.join(REPO, 'deploy/k8s/Dockerfile');

/** The Dockerfile's instruction lines, comments and blank lines left out, and those of its last stage (the image). */
export function dockerfile(): { lines: string[]; final: string[] } {
  const lines = readFileSync(DOCKERFILE, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  return { lines, final: lines.slice(lines.findLastIndex((l) => l.startsWith('FROM '))) };
}
