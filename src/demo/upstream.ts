import http, { type IncomingHttpHeaders } from 'node:http';
import { HttpError, readBody } from './http-io.js';

/**
 * A client for the next service down the chain. Keep-alive, because a gateway that opens a
 * connection per request measures its own handshakes rather than the system; a total timeout,
 * because a stalled upstream must become a 504 rather than a hung client.
 */
export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface UpstreamRequest {
  method: string;
  path: string;
  body?: Buffer;
  contentType?: string;
}

/** The methods safe to send twice: only these are retried after a reset keep-alive socket. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

export class Upstream {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    /** the Service name, reported in 502/504 bodies so an operator knows which hop broke */
    readonly name: string,
    readonly baseUrl: URL,
    readonly timeoutMs: number,
    /**
     * the address to dial from: the pod IP, so that the callee (and NetworkPolicy) sees which pod
     * called; on loopback the kernel would otherwise pick 127.0.0.1 for every pod
     */
    readonly localAddress?: string,
  ) {}

  async send(r: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return await this.once(r);
    } catch (err) {
      // A pod closing an idle keep-alive connection races with our reuse of it; the request
      // never reached the application, so one retry on a fresh socket is safe for these methods.
      if (!(err instanceof StaleSocketError && IDEMPOTENT.has(r.method))) throw toHttpError(this, unwrap(err));
    }
    try {
      return await this.once(r);
    } catch (err) {
      // the retry fails as any request does: a 502/504 naming this upstream, never a bare error
      throw toHttpError(this, unwrap(err));
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private once(r: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      if (r.body) headers['content-type'] = r.contentType ?? 'application/json';
      if (r.body) headers['content-length'] = r.body.length;
      const req = http.request(new URL(r.path, this.baseUrl), { method: r.method, agent: this.agent, headers, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
      // settles once: whatever happens after a timeout (the reset it causes) is noise
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
        req.destroy();
      };
      const timer = setTimeout(() => fail(new UpstreamTimeout(this.timeoutMs)), this.timeoutMs);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        fail(req.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError(err) : err);
      });
      req.end(r.body);
    });
  }
}

class UpstreamTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

const unwrap = (err: unknown): unknown => (err instanceof StaleSocketError ? err.cause : err);

function toHttpError(upstream: Upstream, err: unknown): HttpError {
  const where = { upstream: upstream.name, url: upstream.baseUrl.origin };
  if (err instanceof UpstreamTimeout) {
    return new HttpError(504, `upstream ${upstream.name} timed out`, { ...where, timeoutMs: err.timeoutMs });
  }
  const e = err as NodeJS.ErrnoException;
  return new HttpError(502, `upstream ${upstream.name} failed`, { ...where, detail: e.message, code: e.code ?? 'ERROR' });
}

/** Copies an upstream answer to our client, saying which upstream pod produced it. */
export function relay(res: http.ServerResponse, answer: UpstreamResponse, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { 'content-type': String(answer.headers['content-type'] ?? 'application/json') };
  const servedBy = answer.headers['x-served-by'];
  if (typeof servedBy === 'string') headers['x-upstream-served-by'] = servedBy;
  // passed on hop by hop, so a client of the gateway still sees that a replica answered
  for (const name of ['allow', 'x-fallback'] as const) {
    const value = answer.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  res.writeHead(answer.status, { ...headers, ...extra, 'content-length': answer.body.length });
  res.end(answer.body);
}

/** The reads a fallback may answer: repeating them elsewhere changes nothing. */
const READS = new Set(['GET', 'HEAD']);
/** What says "the upstream is not there", as opposed to an answer about the request. */
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * Sends the client's request on to `path` of the upstream and relays the answer as it is. With a
 * `fallback`, a read the upstream cannot answer (connection failed, timed out, or 502/503/504) is
 * sent once to the fallback, and its answer carries `x-fallback: <fallback name>`; if the
 * fallback fails too, the client gets the upstream's failure, which names the primary hop.
 */
export async function forward(upstream: Upstream, req: http.IncomingMessage, res: http.ServerResponse, path: string, fallback?: Upstream): Promise<void> {
  const method = req.method ?? 'GET';
  const body = READS.has(method) ? undefined : await readBody(req);
  const request: UpstreamRequest = { method, path, body, contentType: req.headers['content-type'] };
  if (!fallback || !READS.has(method)) return relay(res, await upstream.send(request));
  const first = await upstream.send(request).catch((err: unknown) => {
    if (err instanceof HttpError) return err;
    throw err;
  });
  if (!(first instanceof HttpError) && !UNAVAILABLE.has(first.status)) return relay(res, first);
  const second = await fallback.send(request).catch(() => undefined);
  if (second) return relay(res, second, { 'x-fallback': fallback.name });
  if (first instanceof HttpError) throw first;
  relay(res, first);
}
