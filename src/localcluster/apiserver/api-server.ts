import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { ApiError } from '../api/index.js';
import type { Store } from '../store/index.js';
import { requestAttributes, type AuditListener } from './audit.js';
import { discoveryDocument, versionInfo } from './discovery.js';
import type { AdminHandler } from './node-power.js';
import { openApiV3 } from './openapi.js';
import { parsePath } from './paths.js';
import type { LogSource } from './pod-logs.js';
import { handleResource, send, type SubresourceHandler } from './resource-handler.js';

export interface ApiServerOptions {
  store: Store;
  logs?: LogSource;
  /** Extra subresources by `<resource key>/<sub>`, e.g. `pods/eviction`. */
  subresources?: Map<string, SubresourceHandler>;
  log?: Logger;
  /** Longest a watch stays open (default 30 min, the real server's order of magnitude). */
  watchMaxMs?: number;
  /** Period of BOOKMARK events for watches that allow them (default 60 s, as the real server). */
  bookmarkEveryMs?: number;
  /** crt's own endpoints under `/crt/` (node power), tried in order before the Kubernetes API. */
  admin?: AdminHandler[];
  /** Told of every request once answered: its RBAC attributes and status code (what crt's RBAC test compares). */
  audit?: AuditListener;
}

/**
 * The embedded cluster's Kubernetes REST endpoint over plain HTTP on loopback: discovery, every verb on
 * the registered resources, watch streams, Status errors. It serves what the Store holds; controllers
 * and kubelets act through the same Store.
 */
export class ApiServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<() => void>();
  private readonly abort = new AbortController();
  private address = '';

  constructor(private readonly opts: ApiServerOptions) {}

  /** Listens on host:port (port 0 = any) and returns the base URL. */
  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    const server = createServer((req, res) => void this.dispatch(req, res));
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    this.address = `${a.address}:${a.port}`;
    return `http://${this.address}`;
  }

  async close(): Promise<void> {
    this.abort.abort();
    for (const end of this.watches) end();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://embedded');
    if (this.opts.audit) this.auditOnClose(url, req, res, this.opts.audit);
    try {
      await this.route(url, req, res);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
      if (!(err instanceof ApiError)) this.opts.log?.error({ err, method: req.method, path: url.pathname }, 'api request failed');
      if (res.headersSent) res.end();
      else send(res, apiErr.code, apiErr.toStatus());
    } finally {
      this.opts.log?.trace({ method: req.method, path: url.pathname, query: url.search, code: res.statusCode, ms: performance.now() - started }, 'api');
    }
  }

  private auditOnClose(url: URL, req: IncomingMessage, res: ServerResponse, audit: AuditListener): void {
    const at = new Date().toISOString();
    const method = req.method ?? 'GET';
    res.once('close', () => {
      try {
        audit({ ...requestAttributes(method, url), at, method, code: res.statusCode, userAgent: req.headers['user-agent'] ?? '' });
      } catch (err) {
        // a broken listener must not break the API; it is told in the log
        this.opts.log?.error({ err }, 'audit listener failed');
      }
    });
  }

  private async route(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = url.pathname;
    if (path === '/version' || path === '/version/') return send(res, 200, versionInfo());
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path.startsWith('/openapi/v3')) {
      const doc = openApiV3(path, this.opts.store.registry);
      if (doc === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
      return send(res, 200, doc);
    }
    if (path.startsWith('/crt/')) {
      for (const handle of this.opts.admin ?? []) if (await handle(url, req, res)) return;
    }
    const route = parsePath(path, this.opts.store.registry);
    if (route.kind === 'discovery') {
      const doc = req.method === 'GET' ? discoveryDocument(path, this.opts.store.registry, this.address) : undefined;
      if (doc === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
      return send(res, 200, doc);
    }
    await handleResource({
      store: this.opts.store, logs: this.opts.logs, subresources: this.opts.subresources ?? new Map(),
      watches: this.watches, watchMaxMs: this.opts.watchMaxMs ?? 30 * 60_000, bookmarkEveryMs: this.opts.bookmarkEveryMs ?? 60_000, signal: this.abort.signal,
    }, {
      resource: route.resource, namespace: route.namespace, name: route.name, subresource: route.subresource,
      legacyWatch: route.legacyWatch, query: url.searchParams,
    }, req, res);
  }
}
