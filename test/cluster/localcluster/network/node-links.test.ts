import { expect } from 'chai';
import { NetworkPolicyEngine, NodeLinks, ServiceProxy } from '../../../../src/localcluster/network/index.js';
import { Store } from '../../../../src/localcluster/store/store.js';
import { settle } from '../../../helpers/manual-clock.js';
import { dial, startBackend, until, type TestBackend, type TestClient } from './tcp.js';

// addresses no embedded node uses (nodes count from 1): "node-a" owns 127.10.0.52/30
const SERVICE_IP = '127.20.0.52';
const NODE_A = '127.10.0.52/30';
const POD_A1 = '127.10.0.52';
const POD_A2 = '127.10.0.53';
const POD_B = '127.10.0.60';

/** A partitioned node's links on real sockets: one Service proxy in front of a pod of the node. */
describe('NodeLinks: a node whose link is down', function () {
  let links: NodeLinks;
  let proxy: ServiceProxy;
  let backend: TestBackend;
  let port: number;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    links = new NodeLinks(() => [proxy]);
    proxy = new ServiceProxy({ gate: links.gate(() => 'allow') });
    backend = await startBackend('a1', POD_A1);
    proxy.setBackends([{ ip: POD_A1, port: backend.port, name: 'a1' }]);
    port = await proxy.listen(SERVICE_IP, 0);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await backend.close();
  });

  async function connect(from?: string): Promise<TestClient> {
    const client = await dial(SERVICE_IP, port, from);
    clients.push(client);
    return client;
  }

  it('severs exactly the flows with one end on the node and the other elsewhere', () => {
    expect(links.severed(POD_B, POD_A1), 'no link down').to.equal(false);
    links.down('node-a', [NODE_A, '127.1.0.52']);
    expect(links.isDown('node-a')).to.equal(true);
    const flows = {
      'other node → node': links.severed(POD_B, POD_A1),
      'node → other node': links.severed(POD_A1, POD_B),
      'outside → node': links.severed('127.0.0.1', POD_A1),
      'node → outside': links.severed(POD_A2, '127.0.0.1'),
      'pod → pod on the node': links.severed(POD_A2, POD_A1),
      'the node address → its pod': links.severed('127.1.0.52', POD_A1),
      'elsewhere → elsewhere': links.severed('127.0.0.1', POD_B),
    };
    expect(flows).to.deep.equal({
      'other node → node': true, 'node → other node': true, 'outside → node': true, 'node → outside': true,
      'pod → pod on the node': false, 'the node address → its pod': false, 'elsewhere → elsewhere': false,
    });
    links.up('node-a');
    expect(links.severed(POD_B, POD_A1)).to.equal(false);
  });

  it('black-holes the established connections across the partition by default: neither end hears from the other, even when the backend dies', async () => {
    const outside = await connect();
    const sameNode = await connect(POD_A2);
    await Promise.all([outside.waitFor('a1\n'), sameNode.waitFor('a1\n')]);
    const [serverSide] = [...backend.sockets].filter((sock) => sock.remoteAddress !== POD_A2);

    expect(links.down('node-a', [NODE_A]), 'connections black-holed').to.equal(1);
    expect(proxy.stats()).to.include({ blackHoled: 1 });
    outside.socket.write('lost\n');
    sameNode.socket.write('still here\n');
    await sameNode.waitFor('still here\n');
    // the pod's process dies: on a real network its reset goes nowhere either
    serverSide!.resetAndDestroy();
    await until(() => backend.sockets.size === 1);
    // a round trip on the other connection: had anything crossed, it would have arrived by now
    sameNode.socket.write('again\n');
    await sameNode.waitFor('again\n');
    expect(outside.text, 'no byte after the partition').to.equal('a1\n');
    expect(outside.socket.destroyed, 'held open until the client gives up').to.equal(false);
    outside.socket.destroy();
    await until(() => proxy.stats().activeConnections === 1);
  });

  it('resumes a black-holed connection when the link is back, delivering what was sent meanwhile, as TCP does after a short partition', async () => {
    const outside = await connect();
    await outside.waitFor('a1\n');
    expect(links.down('node-a', [NODE_A])).to.equal(1);
    outside.socket.write('sent during the partition\n');
    // a round trip on another connection: had the bytes crossed, they would be back by now
    const sameNode = await connect(POD_A2);
    await sameNode.waitFor('a1\n');
    expect(outside.text, 'nothing crossed while the link was down').to.equal('a1\n');
    expect(links.up('node-a'), 'resumed').to.equal(1);
    await outside.waitFor('sent during the partition\n');
    outside.socket.write('after\n');
    await outside.waitFor('after\n');
  });

  it('resets the backend end of a black-holed connection whose client gave up during the partition, once the link is back', async () => {
    const outside = await connect();
    await outside.waitFor('a1\n');
    links.down('node-a', [NODE_A]);
    outside.socket.resetAndDestroy();
    await until(() => backend.sockets.size === 1 && proxy.stats().activeConnections === 1);
    links.up('node-a');
    await until(() => backend.sockets.size === 0);
  });

  it('with traffic reset, resets the established connections across the partition, keeps those within the node, and drops new ones until the link is up', async () => {
    links = new NodeLinks(() => [proxy], 'reset');
    await proxy.close();
    proxy = new ServiceProxy({ gate: links.gate(() => 'allow') });
    proxy.setBackends([{ ip: POD_A1, port: backend.port, name: 'a1' }]);
    port = await proxy.listen(SERVICE_IP, 0);
    const outside = await connect();
    const sameNode = await connect(POD_A2);
    await Promise.all([outside.waitFor('a1\n'), sameNode.waitFor('a1\n')]);

    expect(links.down('node-a', [NODE_A]), 'connections reset').to.equal(1);
    expect(await outside.closed).to.equal('ECONNRESET');
    sameNode.socket.write('still here\n');
    await sameNode.waitFor('still here\n');

    const dropped = await connect(POD_B);
    await until(() => proxy.stats().dropped === 1);
    expect(links.down('node-a', [NODE_A]), 'down twice cuts nothing more').to.equal(0);
    expect(links.down('node-b', [POD_B]), 'a held connection is not reset by a later cut').to.equal(0);
    links.up('node-b');

    links.up('node-a');
    const after = await connect(POD_B);
    await after.waitFor('a1\n');
    expect(dropped.text, 'the connection dropped meanwhile stays held').to.equal('');
    expect(dropped.socket.destroyed).to.equal(false);
    await until(() => proxy.stats().activeConnections === 3);
  });

  it('leaves a connection the partition holds held when a NetworkPolicy then denies it', async () => {
    const store = new Store();
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    for (const [name, ip] of [['db', POD_A1], ['web', POD_B]] as const) {
      store.create('pods', 'demo', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      }, { keepStatus: true });
    }
    const engine = new NetworkPolicyEngine(store);
    engine.start();
    const guarded = new ServiceProxy({ gate: links.gate(engine.gate) });
    try {
      guarded.setBackends([{ ip: POD_A1, port: backend.port, name: 'a1' }]);
      const guardedPort = await guarded.listen(SERVICE_IP, 0);
      let cuts = 0;
      engine.onChange(() => {
        engine.cutDenied([guarded], links.holds);
        cuts++;
      });
      links.down('node-a', [NODE_A]);
      const held = await dial(SERVICE_IP, guardedPort, POD_B);
      clients.push(held);
      await until(() => guarded.stats().dropped === 1);
      const cutsBefore = cuts;
      store.create('networking.k8s.io/networkpolicies', 'demo', {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-db', namespace: 'demo' },
        spec: { podSelector: { matchLabels: { app: 'db' } } },
      });
      await until(() => cuts > cutsBefore);
      await settle();
      expect(held.socket.destroyed, 'still held, not reset').to.equal(false);
      expect(guarded.stats()).to.include({ activeConnections: 1 });
    } finally {
      engine.stop();
      await guarded.close();
    }
  });
});
