import type { IncomingMessage } from 'node:http';
import { ApiError } from '../api/index.js';
import { decodeProtobufBody, unsupportedProtobuf } from './protobuf-body.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAX_BODY_BYTES = 3 * 1024 * 1024; // the real API server's default request size limit is 3 MiB

/** Reads and parses a JSON request body, or a protobuf one of the kinds decoded (undefined when empty). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = mediaType(req);
  // kubectl's typed clients (drain's evictions, some deletes) send protobuf: the few kinds they send are decoded.
  if (type.includes('protobuf')) {
    if (type !== PROTOBUF) {
      req.resume();
      throw unsupportedProtobuf(type);
    }
    const raw = await readRawBody(req);
    return raw.length === 0 ? undefined : decodeProtobufBody(raw);
  }
  const text = (await readRawBody(req)).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request was in an unknown format - accepted media types include: application/json: ${(err as Error).message}`);
  }
}

async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}
