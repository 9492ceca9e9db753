import type { IncomingMessage } from 'node:http';
import { ApiError } from '../api/types.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024; // the real API server's default request size limit is 3 MiB

/** Reads and parses a JSON request body (undefined when empty). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  // client-go falls back to JSON when a server answers 415 to protobuf, which the embedded cluster does not speak.
  if (mediaType(req).includes('protobuf')) {
    req.resume();
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request was in an unknown format - accepted media types include: application/json: ${(err as Error).message}`);
  }
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}
