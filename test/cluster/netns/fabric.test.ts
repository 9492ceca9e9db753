import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { expect } from 'chai';
import { EnvironmentError, UsageError } from '../../../src/core/index.js';
import { Fabric, forwardFromLoopback, netnsSupport, type Netns } from '../../../src/localcluster/netns/index.js';
import { until } from '../../helpers/until.js';
import { fabricTestId, inet, ipJson, namespaceNames, requireNetns, rootFabricAddresses } from './netns-helpers.js';

/** An echo server: what it reads, it writes back; a FIN from the client is answered with `bye` and a FIN. */
function echo(server: net.Server): net.Server {
  server.on('connection', (c) => {
    c.allowHalfOpen = true;
    c.on('data', (d) => c.write(d));
    c.on('end', () => c.end('bye'));
    c.on('error', () => c.destroy());
  });
  return server;
}

/** Everything `socket` reads until its end, or its error code. */
function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => { got += d; });
    socket.once('end', () => resolve(got));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
  });
}

describe('network namespace fabric', function () {
  this.timeout(60_000);
  let fabric: Fabric;
  let n1: Netns;
  let n2: Netns;
  const cleanup: (() => unknown)[] = [];

  before(async function () {
    await requireNetns(this);
    fabric = await Fabric.create({ id: fabricTestId('f') });
    n1 = await fabric.addNode(1);
    n2 = await fabric.addNode(2);
  });

  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  after(async () => {
    await fabric?.close();
  });

  it('gives the hub 198.18.0.1 on its bridge and node i 198.18.0.<10+i> on its eth0', async () => {
    expect([fabric.hub.address, n1.address, n2.address]).to.deep.equal(['198.18.0.1', '198.18.0.11', '198.18.0.12']);
    const hub = await ipJson(['-n', fabric.hub.name, '-j', 'addr', 'show', 'dev', 'crt0']);
    const node = await ipJson(['-n', n1.name, '-j', 'addr', 'show', 'dev', 'eth0']);
    expect(inet(hub[0])).to.deep.equal(['198.18.0.1/15']);
    expect(inet(node[0])).to.deep.equal(['198.18.0.11/15']);
    expect(fabric.node(1)).to.equal(n1);
    expect(fabric.node(3)).to.equal(undefined);
  });

  it('a server listening in node 1 answers a client connecting from node 2, half-close included', async () => {
    const server = echo(await n1.listen(n1.address, 0));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = await n2.connect(n1.address, port, 5_000);
    client.allowHalfOpen = true;
    // the connection comes from node 2's namespace: its address is node 2's
    expect(client.localAddress).to.equal(n2.address);
    const got = readAll(client);
    client.end('ping');
    expect(await got).to.equal('pingbye');
  });

  it('reaches a node 1 server from the root namespace through forwardFromLoopback, with half-close and resets', async () => {
    const server = echo(await n1.listen(n1.address, 0));
    cleanup.push(() => server.close());
    const fwd = await forwardFromLoopback(n1, n1.address, (server.address() as net.AddressInfo).port);
    cleanup.push(() => fwd.close());
    expect(fwd.host).to.equal('127.0.0.1');

    const client = net.connect({ host: fwd.host, port: fwd.port, allowHalfOpen: true });
    const got = readAll(client);
    client.end('ping');
    expect(await got).to.equal('pingbye');

    // a reset inside the namespace comes out as a reset
    const resetter = await n1.listen(n1.address, 0);
    cleanup.push(() => resetter.close());
    resetter.on('connection', (c) => c.once('data', () => c.resetAndDestroy()));
    const fwd2 = await forwardFromLoopback(n1, n1.address, (resetter.address() as net.AddressInfo).port);
    cleanup.push(() => fwd2.close());
    const victim = net.connect({ host: fwd2.host, port: fwd2.port });
    const outcome = readAll(victim);
    victim.write('x');
    expect(await outcome).to.equal('error ECONNRESET');

    // nothing listens: the dial is refused inside, and the loopback client is reset
    const fwd3 = await forwardFromLoopback(n1, n1.address, 1);
    cleanup.push(() => fwd3.close());
    expect(await readAll(net.connect({ host: fwd3.host, port: fwd3.port }))).to.equal('error ECONNRESET');
  });

  it('reaches a process started with command() in node 1 on a pod address from node 2', async () => {
    const pod = '198.18.1.5';
    await n1.addAddress(pod);
    cleanup.push(() => n1.removeAddress(pod));
    const script = `require('net').createServer((c) => c.pipe(c)).listen(8080, '${pod}', () => console.log('up'))`;
    const cmd = n1.command(process.execPath, ['-e', script]);
    const child: ChildProcess = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    });
    await once(child.stdout!, 'data');
    expect(await n1.pids()).to.include(child.pid);
    const client = await n2.connect(pod, 8080, 5_000);
    const got = readAll(client);
    client.end('hello pod');
    expect(await got).to.equal('hello pod');

    // a removed address is gone for everyone
    await n1.removeAddress(pod);
    cleanup.pop();
    const err = await n2.connect(pod, 8080, 1_000).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.be.oneOf(['ETIMEDOUT', 'EHOSTUNREACH', 'ECONNREFUSED']);
  });

  it('link down black-holes node 1: no reset on an established connection, new connects time out; link up restores both', async () => {
    const server = echo(await n1.listen(n1.address, 0));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = await n2.connect(n1.address, port, 5_000);
    cleanup.push(() => client.destroy());
    const events: string[] = [];
    let echoed = '';
    client.setEncoding('utf8').on('data', (d: string) => { echoed += d; });
    client.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
    client.on('close', () => events.push('close'));
    client.write('a');
    await until('the first echo', () => echoed === 'a');

    await n1.setLink(false);
    cleanup.push(() => n1.setLink(true));
    expect(n1.linkUp).to.equal(false);
    client.write('b');
    // new connections time out rather than being refused or unreachable, from every side: 3.5 s outlasts
    // the 3 s after which a failed ARP resolution would answer EHOSTUNREACH. Meanwhile the open connection
    // is checked below: its byte is not echoed, and it neither errors nor closes
    const attempts = await Promise.all([
      n2.connect(n1.address, port, 3_500),
      fabric.hub.connect(n1.address, port, 3_500),
      n1.connect(fabric.hub.address, 1, 3_500),
    ].map((p) => p.then((s) => { s.destroy(); return 'connected'; }, (e: NodeJS.ErrnoException) => e.code)));
    expect(attempts).to.deep.equal(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(events, 'events while the link is down').to.deep.equal([]);
    expect(echoed, 'echoed while the link is down').to.equal('a');

    await n1.setLink(true);
    expect(n1.linkUp).to.equal(true);
    // TCP retransmits what was written during the outage
    await until('the echo of what was written while the link was down', () => echoed === 'ab', 30_000);
    expect(events).to.deep.equal([]);
    const again = await n2.connect(n1.address, port, 5_000);
    const got = readAll(again);
    again.end('c');
    expect(await got).to.equal('cbye');
  });

  it('gives every namespace a permanent neighbor entry for each address of the others, even when nodes and addresses come at once', async () => {
    const [n3, n4] = await Promise.all([fabric.addNode(3), fabric.addNode(4), n1.addAddress('198.18.1.7'), fabric.hub.addAddress('198.19.0.7')]);
    cleanup.push(() => n1.removeAddress('198.18.1.7'), () => fabric.hub.removeAddress('198.19.0.7'));
    const neighbors = async (ns: Netns) => (await ipJson<{ dst: string; lladdr: string; state: string[] }>(['-n', ns.name, '-j', 'neigh', 'show']))
      .filter((e) => e.state.includes('PERMANENT')).map((e) => `${e.dst} ${e.lladdr}`).sort();
    const hubMac = '02:c7:00:00:00:01';
    const mac = (i: number) => `02:c7:00:01:00:0${i}`;
    expect(await neighbors(n3)).to.deep.equal([
      `198.18.0.1 ${hubMac}`, `198.18.0.11 ${mac(1)}`, `198.18.0.12 ${mac(2)}`, `198.18.0.14 ${mac(4)}`, `198.18.1.7 ${mac(1)}`, `198.19.0.7 ${hubMac}`,
    ]);
    expect(await neighbors(n1)).to.deep.equal([
      `198.18.0.1 ${hubMac}`, `198.18.0.12 ${mac(2)}`, `198.18.0.13 ${mac(3)}`, `198.18.0.14 ${mac(4)}`, `198.19.0.7 ${hubMac}`,
    ]);
    const server = echo(await n4.listen('198.18.0.14', 0));
    cleanup.push(() => server.close());
    const c = await n3.connect('198.18.0.14', (server.address() as net.AddressInfo).port, 5_000);
    const got = readAll(c);
    c.end('3to4');
    expect(await got).to.equal('3to4bye');
  });

  it('refuses addresses outside 198.18.0.0/15, in the nodes\' block or held by another namespace, and taking the hub\'s link down', async () => {
    const reserved = await n1.addAddress('198.18.0.40').catch((e: unknown) => e);
    expect(reserved).to.be.instanceOf(UsageError);
    expect((reserved as Error).message).to.equal('address 198.18.0.40 is in 198.18.0.0/24, kept for the hub and the nodes');
    await n1.addAddress('198.18.1.9');
    cleanup.push(() => n1.removeAddress('198.18.1.9'));
    const taken = await n2.addAddress('198.18.1.9').catch((e: unknown) => e);
    expect((taken as Error).message).to.equal(`address 198.18.1.9 is held by namespace ${n1.name} already`);
    expect(inet((await ipJson(['-n', n2.name, '-j', 'addr', 'show', 'dev', 'eth0']))[0])).to.deep.equal(['198.18.0.12/15']);

    const err = await n1.addAddress('10.0.0.7').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.equal('address 10.0.0.7 is outside 198.18.0.0/15');
    const addrs = await ipJson(['-n', n1.name, '-j', 'addr', 'show', 'dev', 'eth0']);
    expect(inet(addrs[0])).to.deep.equal(['198.18.0.11/15', '198.18.1.9/15']);
    const hubErr = await fabric.hub.setLink(false).catch((e: unknown) => e);
    expect(hubErr).to.be.instanceOf(UsageError);
    expect(fabric.hub.linkUp).to.equal(true);
    const addErr = await fabric.addNode(1).catch((e: unknown) => e);
    expect((addErr as Error).message).to.match(/node 1 exists already/);
  });

  it('refuses a node whose namespace name is taken, leaving that namespace alone', async () => {
    const foreign = `crt-${fabric.id}-n5`;
    await ipJson(['netns', 'add', foreign]);
    cleanup.push(() => ipJson(['netns', 'del', foreign]));
    const err = await fabric.addNode(5).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as Error).message).to.match(new RegExp(`^ip netns add ${foreign} failed: `));
    expect(await namespaceNames()).to.include(foreign);
    expect(fabric.node(5)).to.equal(undefined);
    // the fabric goes on
    const n6 = await fabric.addNode(6);
    expect(n6.address).to.equal('198.18.0.16');
  });

  it('never gives the root namespace an address of 198.18.0.0/15, even with a ClusterIP on the hub', async () => {
    await fabric.hub.addAddress('198.19.0.10');
    cleanup.push(() => fabric.hub.removeAddress('198.19.0.10'));
    const server = echo(await n2.listen(n2.address, 0));
    cleanup.push(() => server.close());
    // the ClusterIP on the hub is reachable from a node (its neighbor entry was added)
    const hubServer = echo(await fabric.hub.listen('198.19.0.10', 0));
    cleanup.push(() => hubServer.close());
    const c = await n1.connect('198.19.0.10', (hubServer.address() as net.AddressInfo).port, 5_000);
    const got = readAll(c);
    c.end('x');
    expect(await got).to.equal('xbye');
    expect(await rootFabricAddresses()).to.deep.equal([]);
  });

  it('says that this machine supports it', async () => {
    expect(await netnsSupport()).to.deep.equal({ ok: true });
    expect((await namespaceNames()).filter((n) => n.startsWith(`crt-probe-${process.pid}-`))).to.deep.equal([]);
  });
});
