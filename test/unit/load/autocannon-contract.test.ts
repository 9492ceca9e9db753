import { expect } from 'chai';
import autocannon from 'autocannon';
import { startServer, type TestServer } from '../../helpers/servers.js';

/**
 * crt's pacer drives autocannon's per-connection Client through `setupClient` and three of its
 * methods (see src/load/autocannon/pacer.ts). This fails if an autocannon upgrade changes them.
 */
describe('autocannon Client surface used by the pacer', () => {
  let server: TestServer;
  afterEach(() => server.close());

  it('hands each Client to setupClient before it connects, with the methods and events crt wraps', async () => {
    server = await startServer((_req, res) => res.end('ok'));
    const seen: string[] = [];
    let connectedBeforeSetup = true;
    await autocannon({
      url: server.url, connections: 1, amount: 2,
      setupClient: (client) => {
        const c = client as unknown as Record<string, unknown> & { on: (e: string, f: (...a: unknown[]) => void) => void; conn?: unknown };
        connectedBeforeSetup = c.conn !== undefined;
        for (const m of ['_connect', '_doRequest', '_destroyConnection']) expect(c[m], m).to.be.a('function');
        c.on('headers', (info) => seen.push(`headers:${typeof (info as { shouldKeepAlive?: unknown }).shouldKeepAlive}`));
        c.on('response', (status, bytes) => seen.push(`response:${String(status)}:${typeof bytes}`));
      },
    });
    expect(connectedBeforeSetup).to.equal(false);
    expect(seen).to.include('headers:boolean');
    expect(seen).to.include('response:200:number');
  });

  it('emits connError with the socket error code when the port is closed', async () => {
    server = await startServer(() => undefined);
    const { port } = server;
    await server.close();
    server = await startServer(() => undefined);
    const codes: string[] = [];
    await autocannon({
      url: `http://127.0.0.1:${port}`, connections: 1, duration: 0.3,
      setupClient: (client) => (client as unknown as { on: (e: string, f: (e: NodeJS.ErrnoException) => void) => void }).on('connError', (e) => codes.push(e.code ?? '')),
    });
    expect(codes[0]).to.equal('ECONNREFUSED');
  });
});
