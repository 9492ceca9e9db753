import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small request/response helpers shared by the demo roles. */

/** Bodies are tiny JSON documents; anything larger is a client bug or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: err.message, ...err.details });
}

export async function readBody(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError(413, 'request body too large', { limitBytes });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<unknown> {
  const body = await readBody(req, limitBytes);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'request body must be JSON');
  }
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

/** A route: the handler gets the template's parameters in order, already URL-decoded. */
export interface Route {
  method: string;
  /** e.g. `/customers/:id` (one segment) or `/kv/*key` (the rest of the path) */
  template: string;
  path: RegExp;
  handle: RouteHandler;
}

export function route(method: string, template: string, handle: RouteHandler): Route {
  const pattern = template
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '([^/]+)';
      if (segment.startsWith('*')) return '(.+)';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, template, path: new RegExp(`^${pattern}$`), handle };
}

/** Finds the route for a request; 404 for an unknown path, 405 (with `allow`) for a wrong method. */
export async function dispatch(routes: readonly Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://demo').pathname;
  const allowed: string[] = [];
  for (const route of routes) {
    const match = route.path.exec(pathname);
    if (!match) continue;
    if (route.method !== req.method) {
      allowed.push(route.method);
      continue;
    }
    const params = match.slice(1).map((p) => decodeParam(p));
    return route.handle(req, res, params);
  }
  if (allowed.length > 0) {
    res.setHeader('allow', allowed.join(', '));
    throw new HttpError(405, 'method not allowed', { method: req.method, allow: allowed });
  }
  throw new HttpError(404, 'not found', { path: pathname });
}

function decodeParam(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in path');
  }
}
