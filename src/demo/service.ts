import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The demo system under test: a small shop API with knobs, so a CRT has something real to
 * measure and break. Configuration by environment (as a pod would get it):
 *   PORT (0 = any), HOST (127.0.0.1), NAME (x-served-by, default the pid), LATENCY_MS (5), CPU_MS (0).
 * Routes: GET /customers/:id, POST /votes, GET /healthz, GET /readyz, and the admin switches
 * POST|DELETE /admin/outage (answer 503) and POST /admin/stall?ms=N (hold answers N ms).
 * SIGTERM: stop accepting, finish what is in flight, exit.
 */
export interface DemoOptions {
  port: number;
  host: string;
  name: string;
  latencyMs: number;
  cpuMs: number;
}

export function demoOptions(env: NodeJS.ProcessEnv): DemoOptions {
  return {
    port: Number(env.PORT ?? 0),
    host: env.HOST ?? '127.0.0.1',
    name: env.NAME ?? env.POD_NAME ?? `demo-${process.pid}`,
    latencyMs: Number(env.LATENCY_MS ?? 5),
    cpuMs: Number(env.CPU_MS ?? 0),
  };
}

export function createDemoServer(o: DemoOptions): http.Server {
  let outage = false;
  let stallUntil = 0;
  let draining = false;
  let votes = 0;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': o.name });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    if (url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (url.pathname === '/readyz') return send(res, draining || outage ? 503 : 200, { ready: !draining && !outage });
    if (url.pathname === '/admin/outage') {
      outage = req.method !== 'DELETE';
      return send(res, 200, { outage });
    }
    if (url.pathname === '/admin/stall') {
      stallUntil = Date.now() + Number(url.searchParams.get('ms') ?? 1000);
      return send(res, 200, { stallUntil });
    }
    const wait = Math.max(o.latencyMs, stallUntil - Date.now());
    setTimeout(() => {
      if (o.cpuMs > 0) burn(o.cpuMs);
      if (outage) return send(res, 503, { error: 'service unavailable (demo outage)' });
      const customer = /^\/customers\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && customer) return send(res, 200, { id: customer[1], name: `customer ${customer[1]}` });
      if (req.method === 'POST' && url.pathname === '/votes') {
        req.resume();
        return send(res, 201, { votes: ++votes });
      }
      return send(res, 404, { error: 'not found' });
    }, wait);
  });
  process.once('SIGTERM', () => {
    draining = true;
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
  return server;
}

function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy on purpose: the CPU_MS knob makes load show up as CPU usage
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const o = demoOptions(process.env);
  const server = createDemoServer(o);
  server.listen(o.port, o.host, () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`demo service ${o.name} listening on http://${o.host}:${port}\n`);
  });
}
