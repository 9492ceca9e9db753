import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ServiceProxy } from '../../../../src/localcluster/network/index.js';
import { closedPort, dial, resetOutcome, startBackend, until, type TestBackend, type TestClient } from './tcp.js';

const SERVICE_IP = '127.20.0.10';
const POD_IPS = ['127.10.0.11', '127.10.0.12', '127.10.0.13'];
const CALLER_IP = '127.30.0.9';

describe('ServiceProxy forwarding', function () {
  let proxy: ServiceProxy | null = null;
  let backends: TestBackend[] = [];
  let clients: TestClient[] = [];
  let servers: http.Server[] = [];

  afterEach(async () => {
    for (const c of clients) c.socket.destroy();
    await proxy?.close();
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    proxy = null;
    backends = [];
    clients = [];
    servers = [];
  });

  async function setUp(podCount: number): Promise<number> {
    backends = await Promise.all(POD_IPS.slice(0, podCount).map((ip, i) => startBackend(`pod-${i}`, ip)));
    proxy = new ServiceProxy();
    proxy.setBackends(backends.map((b) => ({ ip: b.ip, port: b.port, name: b.name })));
    return proxy.listen(SERVICE_IP, 0);
  }

  async function connect(port: number, localAddress?: string): Promise<TestClient> {
    const client = await dial(SERVICE_IP, port, localAddress);
    clients.push(client);
    return client;
  }

  it('spreads 30 sequential connections 10/10/10 over three backends', async () => {
    const port = await setUp(3);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const client = await connect(port);
      await client.waitFor('\n');
      const name = client.text.trim();
      seen.set(name, (seen.get(name) ?? 0) + 1);
      client.socket.destroy();
    }
    expect(Object.fromEntries(seen)).to.deep.equal({ 'pod-0': 10, 'pod-1': 10, 'pod-2': 10 });
    expect(Object.fromEntries(proxy!.stats().perBackend)).to.deep.equal({ 'pod-0': 10, 'pod-1': 10, 'pod-2': 10 });
    expect(proxy!.stats().totalConnections).to.equal(30);
  });

  it('dials the backend from the calling pod\'s 127.x address', async () => {
    const port = await setUp(1);
    const client = await connect(port, CALLER_IP);
    await client.waitFor('pod-0\n');
    expect(backends[0]!.remotes).to.deep.equal([CALLER_IP]);
  });

  it('shows a caller from outside the cluster to the backend as 127.0.0.1', async () => {
    const port = await setUp(1);
    const client = await connect(port);
    await client.waitFor('pod-0\n');
    expect(backends[0]!.remotes).to.deep.equal(['127.0.0.1']);
  });

  it('carries bytes both ways and passes each half-close on', async () => {
    const port = await setUp(1);
    const client = await connect(port);
    client.socket.write('ping\n');
    await client.waitFor('ping\n');
    client.socket.end();
    // the backend still answers after the client's FIN, then ends its side too
    await client.waitFor('pod-0 bye\n');
    expect(await client.closed).to.equal(null);
    await until(() => proxy!.stats().activeConnections === 0 && backends[0]!.sockets.size === 0);
  });

  it('resets a client at once when the Service has no backends', async () => {
    proxy = new ServiceProxy();
    const port = await proxy.listen(SERVICE_IP, 0);
    const outcome = await resetOutcome(SERVICE_IP, port);
    expect(outcome).to.include({ error: 'ECONNRESET', text: '' });
    expect(outcome.elapsedMs).to.be.below(500);
    expect(proxy.stats()).to.include({ rejected: 1, activeConnections: 0 });
  });

  it('resets the client when its backend refuses the connection', async () => {
    proxy = new ServiceProxy();
    proxy.setBackends([{ ip: POD_IPS[0]!, port: await closedPort(POD_IPS[0]!) }]);
    const port = await proxy.listen(SERVICE_IP, 0);
    expect(await resetOutcome(SERVICE_IP, port)).to.include({ error: 'ECONNRESET', text: '' });
    expect(proxy.stats()).to.include({ rejected: 1 });
  });

  it('resets the client when its backend resets the connection', async () => {
    const port = await setUp(1);
    const client = await connect(port);
    await client.waitFor('pod-0\n');
    for (const s of backends[0]!.sockets) s.resetAndDestroy();
    expect(await client.closed).to.equal('ECONNRESET');
  });

  it('keeps established connections on a removed backend and sends new ones to the others', async () => {
    const port = await setUp(2);
    const first = await connect(port);
    await first.waitFor('pod-0\n');
    proxy!.setBackends([{ ip: backends[1]!.ip, port: backends[1]!.port, name: 'pod-1' }]);
    for (let i = 0; i < 3; i++) {
      const next = await connect(port);
      await next.waitFor('pod-1\n');
    }
    first.socket.write('still here\n');
    await first.waitFor('still here\n');
    expect(backends[0]!.remotes).to.have.length(1);
    expect(backends[1]!.remotes).to.have.length(3);
  });

  it('serves 100 sequential HTTP requests over one keep-alive connection', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, POD_IPS[0], resolve));
    proxy = new ServiceProxy();
    proxy.setBackends([{ ip: POD_IPS[0]!, port: (server.address() as AddressInfo).port }]);
    const port = await proxy.listen(SERVICE_IP, 0);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 100; i++) {
        const res = await fetchText(agent, `http://${SERVICE_IP}:${port}/${i}`);
        expect(res).to.equal('ok');
      }
    } finally {
      agent.destroy();
    }
    expect(connections).to.equal(1);
    expect(proxy.stats().totalConnections).to.equal(1);
  });

  it('serves a second listener on 127.0.0.1 (a node port) from the same backends and cursor', async () => {
    const port = await setUp(2);
    const nodePort = await proxy!.listen('127.0.0.1', 0);
    const viaService = await connect(port);
    await viaService.waitFor('pod-0\n');
    const viaNode = await dial('127.0.0.1', nodePort);
    clients.push(viaNode);
    await viaNode.waitFor('pod-1\n');
    expect(proxy!.addresses()).to.deep.equal([{ host: SERVICE_IP, port }, { host: '127.0.0.1', port: nodePort }]);
  });

  it('rejects listen() on an address already in use', async () => {
    const port = await setUp(1);
    const other = new ServiceProxy();
    try {
      await other.listen(SERVICE_IP, port).then(
        () => expect.fail('listen should have failed'),
        (err: NodeJS.ErrnoException) => expect(err.code).to.equal('EADDRINUSE'),
      );
      expect(other.addresses()).to.deep.equal([]);
    } finally {
      await other.close();
    }
  });

  it('rejects a backend that is not an IPv4 address and port', () => {
    proxy = new ServiceProxy();
    expect(() => proxy!.setBackends([{ ip: 'pod-0', port: 80 }])).to.throw(TypeError, /invalid backend/);
    expect(() => proxy!.setBackends([{ ip: POD_IPS[0]!, port: 0 }])).to.throw(TypeError, /port 1-65535/);
  });
});

function fetchText(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
