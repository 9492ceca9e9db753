import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/index.js';
import { ApiError, type KObject } from '../api/index.js';
import { servePodLog, type LogSource } from '../apiserver/index.js';

export interface KubeletServerOptions {
  /** The node's serving certificate and key, and the CA client certificates must chain to (the API server's kubelet client cert). */
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  /** A pod running on this node, by namespace and name. */
  pod(namespace: string, name: string): KObject | undefined;
  logs: LogSource;
  log: Logger;
}

/**
 * The kubelet API the API server dials (`kubectl logs` goes API server → kubelet): `GET /healthz` and
 * `GET /containerLogs/<namespace>/<pod>/<container>` with `follow`, `tailLines`, `limitBytes` and
 * `previous`, over HTTPS with the node's serving certificate. A client must present a certificate
 * signed by `clientCaPem` (the kubelet's x509 authentication); any such client may read logs (no
 * webhook authorization: the only client is the cluster's own API server).
 */
export function kubeletServer(opts: KubeletServerOptions): https.Server {
  return https.createServer(
    { cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.clientCaPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      handle(req, res, opts).catch((err: unknown) => fail(res, err, opts.log));
    },
  );
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: KubeletServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `method ${req.method} not allowed`);
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new ApiError(404, 'NotFound', '404 page not found');
  const [namespace, name, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
  const pod = opts.pod(namespace, name);
  if (!pod) throw new ApiError(404, 'NotFound', `pod "${name}/${namespace}" does not exist`);
  const query = new URLSearchParams(url.searchParams);
  query.set('container', container);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  await servePodLog(res, opts.logs, pod, query, abort.signal);
}

/** Errors as the kubelet writes them: plain text with the status code. */
function fail(res: ServerResponse, err: unknown, log: Logger): void {
  const code = err instanceof ApiError ? err.code : 500;
  if (code === 500) log.error({ err }, 'kubelet API request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
}
