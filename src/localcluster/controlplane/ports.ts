import { createServer, type Server } from 'node:net';

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve((server.address() as { port: number }).port));
  });
}

/**
 * `count` distinct ports that were free on `host` a moment ago (held together, so never the same one
 * twice). Another process may take one before the component binds it: the caller retries on a bind
 * failure. Where `host` is not an address of this network namespace (the control plane runs in
 * another one), the ports are taken on 127.0.0.1: the namespace's own ports are not visible from here.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      try {
        ports.push(await listen(server, host));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
        ports.push(await listen(server, '127.0.0.1'));
      }
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
