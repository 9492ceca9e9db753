import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1:0 that counts what it received. Close it in afterEach. */
export interface TestServer {
  url: string;
  port: number;
  /** requests received so far */
  readonly count: number;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    handler(req, res, count);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get count() {
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers 200 after `delayMs`. */
export const fixedDelay = (delayMs: number): Handler => (_req, res) => {
  setTimeout(() => res.end('ok'), delayMs);
};

/** Every `every`-th request gets a 503 (deterministic error ratio 1/every), the others 200. */
export const errorEvery = (every: number): Handler => (_req, res, n) => {
  res.statusCode = n % every === 0 ? 503 : 200;
  res.end(res.statusCode === 200 ? 'ok' : 'unavailable');
};

/**
 * A server whose answers can be switched: `/on` and `/off` control failures (503), anything
 * else answers after `delayMs`. Used as the target of an exec fault.
 */
export function switchable(delayMs: number): { handler: Handler; readonly failing: boolean } {
  let failing = false;
  return {
    get failing() {
      return failing;
    },
    handler: (req, res) => {
      if (req.url === '/fail-on') return void res.end(String((failing = true)));
      if (req.url === '/fail-off') return void res.end(String((failing = false)));
      setTimeout(() => {
        res.statusCode = failing ? 503 : 200;
        res.end('x');
      }, delayMs);
    },
  };
}

/** Holds every response until `until()` when it is in the future, then answers after `delayMs`. */
export const stallUntil = (until: () => number, delayMs: number): Handler => (_req, res) => {
  setTimeout(() => res.end('ok'), Math.max(delayMs, until() - Date.now() + delayMs));
};

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => undefined);
  await s.close();
  return s.port;
}
