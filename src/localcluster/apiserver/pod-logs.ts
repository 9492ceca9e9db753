import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { ApiError, type KObject } from '../api/index.js';

/** Where the runtime keeps container logs (implemented by the kubelets). */
export interface LogSource {
  /** The log file of a container (the previous run's with `previous`); throws a 400 ApiError like the kubelet. */
  logFile(pod: KObject, container: string | undefined, previous: boolean): string;
  /** Whether the container is still writing that file (follow stops when it is not). */
  isWriting(file: string): boolean;
}

/** Serves `GET …/pods/{name}/log` with tailLines, limitBytes and follow. */
export async function servePodLog(res: ServerResponse, source: LogSource, pod: KObject, query: URLSearchParams, signal: AbortSignal): Promise<void> {
  const file = source.logFile(pod, query.get('container') ?? undefined, query.get('previous') === 'true');
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) throw new ApiError(400, 'BadRequest', `container "${query.get('container') ?? ''}" in pod "${pod.metadata.name}" is waiting to start: no logs yet`);
  const limit = Number(query.get('limitBytes') ?? NaN);
  const tail = Number(query.get('tailLines') ?? NaN);
  let start = Number.isFinite(tail) && tail >= 0 ? await tailOffset(file, size, tail) : 0;
  const end = Number.isFinite(limit) && limit > 0 ? Math.min(size, start + limit) : size;
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  if (end > start) await pipeRange(file, start, end - 1, res);
  if (query.get('follow') !== 'true') {
    res.end();
    return;
  }
  start = size;
  // Following: poll the file until the container stops writing it or the client goes away.
  while (!signal.aborted && !res.destroyed) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await stat(file).then((s) => s.size, () => start);
    if (now > start) {
      await pipeRange(file, start, now - 1, res);
      start = now;
    } else if (!source.isWriting(file)) break;
  }
  res.end();
}

function pipeRange(file: string, start: number, end: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = createReadStream(file, { start, end });
    stream.on('data', (chunk) => res.write(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}

/** The byte offset where the last `lines` lines of the file begin. */
async function tailOffset(file: string, size: number, lines: number): Promise<number> {
  if (lines === 0) return size;
  const handle = await open(file, 'r');
  try {
    let pos = size;
    let seen = 0;
    const buf = Buffer.alloc(64 * 1024);
    // A final newline ends the last line; it does not start a new one.
    let skipFinal = true;
    while (pos > 0) {
      const len = Math.min(buf.length, pos);
      pos -= len;
      await handle.read(buf, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) { skipFinal = false; continue; }
        if (skipFinal) { skipFinal = false; continue; }
        if (++seen === lines) return pos + i + 1;
      }
    }
    return 0;
  } finally {
    await handle.close();
  }
}
