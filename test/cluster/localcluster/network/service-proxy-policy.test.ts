import { expect } from 'chai';
import { ServiceProxy, type ConnectionInfo, type ServiceProxyOptions } from '../../../../src/localcluster/network/index.js';
import { dial, resetOutcome, startBackend, until, type TestBackend, type TestClient } from './tcp.js';

const SERVICE_IP = '127.20.0.20';
const POD_IPS = ['127.10.0.21', '127.10.0.22'];
const CALLERS = ['127.30.0.1', '127.30.0.2'];

/** TCP sockets and listeners of this process, as Node counts its active resources. */
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

describe('ServiceProxy gate, cut and close', function () {
  let proxy: ServiceProxy | null = null;
  let backends: TestBackend[] = [];
  let clients: TestClient[] = [];

  afterEach(async () => {
    for (const c of clients) c.socket.destroy();
    await proxy?.close();
    await Promise.all(backends.map((b) => b.close()));
    proxy = null;
    backends = [];
    clients = [];
  });

  async function setUp(options: ServiceProxyOptions = {}): Promise<number> {
    backends = await Promise.all(POD_IPS.map((ip, i) => startBackend(`pod-${i}`, ip)));
    proxy = new ServiceProxy(options);
    proxy.setBackends(backends.map((b) => ({ ip: b.ip, port: b.port, name: b.name })));
    return proxy.listen(SERVICE_IP, 0);
  }

  async function connect(port: number, localAddress?: string): Promise<TestClient> {
    const client = await dial(SERVICE_IP, port, localAddress);
    clients.push(client);
    return client;
  }

  it('gives the gate the caller, the Service address and the chosen backend', async () => {
    const seen: ConnectionInfo[] = [];
    const port = await setUp({ gate: (conn) => (seen.push(conn), 'allow') });
    const client = await connect(port, CALLERS[0]);
    await client.waitFor('pod-0\n');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.deep.include({ srcIp: CALLERS[0], srcPort: client.socket.localPort, dstIp: SERVICE_IP, dstPort: port });
    expect(seen[0]!.backend).to.deep.equal({ ip: POD_IPS[0], port: backends[0]!.port, name: 'pod-0' });
  });

  it('never answers a dropped connection, which lasts until the client gives up', async () => {
    const port = await setUp({ gate: () => 'drop' });
    const client = await connect(port, CALLERS[0]);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    client.socket.setTimeout(300);
    await new Promise((resolve) => client.socket.once('timeout', resolve));
    expect(client.text).to.equal('');
    expect(client.socket.destroyed).to.equal(false);
    expect(backends.flatMap((b) => b.remotes)).to.deep.equal([]);
    expect(proxy!.stats()).to.include({ dropped: 1, activeConnections: 1 });
    client.socket.destroy();
    await until(() => proxy!.stats().activeConnections === 0);
  });

  it('forwards the connections the gate allows and drops the others', async () => {
    const port = await setUp({ gate: (conn) => (conn.srcIp === CALLERS[0] ? 'allow' : 'drop') });
    const allowed = await connect(port, CALLERS[0]);
    const denied = await connect(port, CALLERS[1]);
    await allowed.waitFor('pod-0\n');
    denied.socket.setTimeout(200);
    await new Promise((resolve) => denied.socket.once('timeout', resolve));
    expect(denied.text).to.equal('');
    expect(backends.flatMap((b) => b.remotes)).to.deep.equal([CALLERS[0]]);
  });

  it('resets the connection when the gate throws', async () => {
    const port = await setUp({ gate: () => { throw new Error('policy store unavailable'); } });
    expect(await resetOutcome(SERVICE_IP, port)).to.include({ error: 'ECONNRESET', text: '' });
    expect(proxy!.stats()).to.include({ rejected: 1 });
  });

  it('resets the connection when the gate answers neither allow nor drop', async () => {
    const port = await setUp({ gate: () => 'deny' as never });
    expect(await resetOutcome(SERVICE_IP, port)).to.include({ error: 'ECONNRESET', text: '' });
    expect(proxy!.stats()).to.include({ rejected: 1, dropped: 0 });
  });

  it('cuts the established connections that match and leaves the others working', async () => {
    const port = await setUp();
    const victim = await connect(port, CALLERS[0]);
    const survivor = await connect(port, CALLERS[1]);
    await Promise.all([victim.waitFor('\n'), survivor.waitFor('\n')]);
    expect(proxy!.cut((conn) => conn.srcIp === CALLERS[0])).to.equal(1);
    expect(await victim.closed).to.equal('ECONNRESET');
    survivor.socket.write('after the cut\n');
    await survivor.waitFor('after the cut\n');
    await until(() => backends[0]!.sockets.size === 0);
    expect(proxy!.stats().activeConnections).to.equal(1);
  });

  it('leaves no socket open after close(), forwarded, held or listening', async () => {
    const before = tcpHandles();
    const port = await setUp({ gate: (conn) => (conn.srcIp === CALLERS[1] ? 'drop' : 'allow') });
    const forwarded = await connect(port, CALLERS[0]);
    const held = await connect(port, CALLERS[1]);
    await forwarded.waitFor('pod-0\n');
    await until(() => proxy!.stats().activeConnections === 2);
    await proxy!.close();
    await Promise.all([forwarded.closed, held.closed]);
    await until(() => backends.every((b) => b.sockets.size === 0));
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    expect(proxy!.stats().activeConnections).to.equal(0);
    await until(() => tcpHandles() === before);
    await proxy!.close();
  });

  it('refuses new connections once closed', async () => {
    const port = await setUp();
    await proxy!.close();
    const error = await dial(SERVICE_IP, port).then(
      () => 'connected',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(error).to.equal('ECONNREFUSED');
    await proxy!.listen(SERVICE_IP, 0).then(
      () => expect.fail('listen after close should fail'),
      (err: Error) => expect(err.message).to.match(/closed/),
    );
  });
});
