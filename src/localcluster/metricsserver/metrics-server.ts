import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { errorMessage, silentLogger, type Logger } from '../../core/index.js';
import type { Authorize } from './authorizer.js';
import { parseMetricsPath, ResponseError, serveResource, type MetricsLookup, type MetricsResponse, type MetricsSource } from './metrics-api.js';
import { statusObject } from './metrics-objects.js';
import { requestHeaderUser, type RequestHeaderConfig } from './request-header.js';

export interface MetricsServerOptions {
  /** the serving certificate (its name `<service>.<namespace>.svc`, signed by the CA of the APIService's caBundle) */
  tls: { certPem: string; keyPem: string };
  requestHeader: RequestHeaderConfig;
  source: MetricsSource;
  lookup: MetricsLookup;
  authorize: Authorize;
  /** wall clock, ms (creationTimestamp of the objects) */
  now?: () => number;
  log?: Logger;
}

const healthPaths = new Set(['/healthz', '/livez', '/readyz']);

/**
 * The HTTPS side of crt's metrics-server: `metrics.k8s.io/v1beta1` behind the API server's aggregation
 * layer. A request must come through the front proxy (a client certificate of the request-header CA with
 * an allowed name, naming the user in its headers) and be allowed by the API server's authorizers
 * (delegated, through a SubjectAccessReview); health checks need neither. Node's https is enough here:
 * the API is five read-only paths of JSON.
 */
export function metricsServer(opts: MetricsServerOptions): https.Server {
  const log = (opts.log ?? silentLogger).child({ component: 'metrics-server' });
  // a client without a certificate is answered 401 over TLS, as an API server does, rather than refused in the handshake
  const server = https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.requestHeader.clientCaPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    handle(req, opts).then((r) => send(res, r), (err: unknown) => {
      if (err instanceof ResponseError) return send(res, err.response);
      log.error({ err }, 'metrics request failed');
      send(res, { code: 500, body: statusObject(500, 'InternalError', errorMessage(err)) });
    });
  });
  return server;
}

async function handle(req: IncomingMessage, opts: MetricsServerOptions): Promise<MetricsResponse> {
  const url = new URL(req.url ?? '/', 'https://metrics-server');
  if (req.method === 'GET' && healthPaths.has(url.pathname)) return { code: 200, body: 'ok' };
  const socket = req.socket as TLSSocket;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const user = requestHeaderUser({ authorized: socket.authorized, commonName: Array.isArray(cn) ? cn[0] : cn }, req.headersDistinct, opts.requestHeader);
  if (!user) return { code: 401, body: statusObject(401, 'Unauthorized', 'Unauthorized') };
  const parsed = parseMetricsPath(url.pathname);
  if (!parsed) return { code: 404, body: statusObject(404, 'NotFound', 'the server could not find the requested resource') };
  const decision = await opts.authorize(user, parsed);
  if (!decision.allowed) {
    const what = parsed.kind === 'discovery' ? `path "${parsed.path}"` : `resource "${parsed.resource}" in API group "metrics.k8s.io"${parsed.namespace ? ` in the namespace "${parsed.namespace}"` : ' at the cluster scope'}`;
    const verb = parsed.kind === 'discovery' ? 'get' : parsed.verb;
    return { code: 403, body: statusObject(403, 'Forbidden', `${parsed.kind === 'discovery' ? 'forbidden' : `${parsed.resource}.metrics.k8s.io is forbidden`}: User "${user.name}" cannot ${verb} ${what}${decision.reason ? `: ${decision.reason}` : ''}`) };
  }
  if (req.method !== 'GET') return { code: 405, body: statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource') };
  if (parsed.kind === 'discovery') return { code: 200, body: parsed.body };
  return serveResource(parsed, url.searchParams, opts.source, opts.lookup, (opts.now ?? Date.now)());
}

function send(res: ServerResponse, r: MetricsResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (typeof r.body === 'string') {
    res.writeHead(r.code, { 'content-type': 'text/plain; charset=utf-8' }).end(r.body);
    return;
  }
  res.writeHead(r.code, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
}
