import net, { type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { NetworkPolicyEngine } from '../../../../src/localcluster/network/policy-engine.js';
import { PodGate } from '../../../../src/localcluster/network/index.js';
import { Store } from '../../../../src/localcluster/store/store.js';
import { settle } from '../../../helpers/manual-clock.js';
import { dial, startBackend, until, type TestBackend, type TestClient } from './tcp.js';

const POD_IP = '127.10.0.51';
const BIND_IP = '127.11.0.51';
const NODE_IP = '127.1.0.51';
const CALLER = '127.10.0.52';

/** A PodGate in front of a backend on the pod's private address, deciding with a real engine. */
describe('PodGate (per-pod ingress gate)', function () {
  let store: Store;
  let engine: NetworkPolicyEngine;
  let gate: PodGate;
  let backend: TestBackend;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    store = new Store();
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    for (const [name, ip] of [['db', POD_IP], ['web', CALLER]] as const) {
      store.create('pods', 'demo', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: NODE_IP },
      }, { keepStatus: true });
    }
    engine = new NetworkPolicyEngine(store);
    engine.start();
    backend = await startBackend('db', BIND_IP);
    gate = new PodGate({ podIP: POD_IP, bindIP: BIND_IP, name: 'db', gate: engine.gate });
    expect(await gate.open([backend.port])).to.deep.equal([]);
    engine.onChange(() => engine.cutDenied(gate.proxies()));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    engine.stop();
    await gate.close();
    await backend.close();
  });

  async function connect(from: string): Promise<TestClient> {
    const client = await dial(POD_IP, backend.port, from);
    clients.push(client);
    return client;
  }

  const denyDb = (): void => {
    store.create('networking.k8s.io/networkpolicies', 'demo', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-db', namespace: 'demo' },
      spec: { podSelector: { matchLabels: { app: 'db' } } },
    });
  };

  it('forwards a connection to the pod IP to the private address, from the caller own address', async () => {
    const client = await connect(CALLER);
    await client.waitFor('db\n');
    expect(backend.remotes).to.deep.equal([CALLER]);
    expect(gate.ports()).to.deep.equal([backend.port]);
  });

  it('drops a connection the policies deny, and lets the node own address through (kubelet probes)', async () => {
    denyDb();
    const denied = await connect(CALLER);
    const fromNode = await connect(NODE_IP);
    await fromNode.waitFor('db\n');
    // the gate decided on the denied connection: dropped, never forwarded
    await until(() => gate.proxies().reduce((n, proxy) => n + proxy.stats().dropped, 0) === 1);
    await settle();
    expect([denied.text, backend.remotes]).to.deep.equal(['', [NODE_IP]]);
  });

  it('resets an established connection once a policy denies it', async () => {
    const client = await connect(CALLER);
    await client.waitFor('db\n');
    denyDb();
    expect(await client.closed).to.equal('ECONNRESET');
  });

  it('reports a port another listener holds on the pod IP and leaves it ungated', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, POD_IP, resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const failures = await gate.open([port]);
      expect(failures.map((f) => [f.port, f.error.code])).to.deep.equal([[port, 'EADDRINUSE']]);
      expect(gate.ports()).to.deep.equal([backend.port]);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('closes a connection cut while its FIN is still being sent (no socket left open)', async () => {
    // a backend that answers and ends at once
    const quick = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => undefined);
      s.resume();
      s.once('end', () => s.destroy());
      s.end('bye');
    });
    await new Promise<void>((resolve) => quick.listen(0, BIND_IP, resolve));
    const port = (quick.address() as AddressInfo).port;
    try {
      await gate.open([port]);
      const proxy = gate.proxies().find((p) => p.addresses()[0]!.port === port)!;
      const client = net.connect({ host: POD_IP, port, localAddress: CALLER });
      client.on('error', () => undefined).resume();
      // cut as soon as the answer arrives: the gate has passed the backend's FIN on, and is still sending it
      await new Promise<void>((resolve) => client.once('data', () => {
        client.destroy();
        proxy.cut(() => true);
        resolve();
      }));
      await until(() => proxy.stats().activeConnections === 0, 1000);
    } finally {
      await new Promise<void>((resolve) => quick.close(() => resolve()));
    }
  });
});
