import { expect } from 'chai';
import { NetworkPolicyEngine } from '../../../../src/localcluster/network/policy-engine.js';
import { ServiceProxy } from '../../../../src/localcluster/network/index.js';
import { Store } from '../../../../src/localcluster/store/store.js';
import { settle } from '../../../helpers/manual-clock.js';
import { dial, startBackend, until, type TestBackend, type TestClient } from './tcp.js';

const SERVICE_IP = '127.20.0.41';
const POD_IP = '127.10.0.41';
const CALLER = '127.10.0.42';

/** The engine as the Service proxies' gate, on real sockets, with a Store the test writes policies to. */
describe('NetworkPolicyEngine as a ServiceProxy gate', function () {
  let store: Store;
  let engine: NetworkPolicyEngine;
  let proxy: ServiceProxy;
  let backend: TestBackend;
  let port: number;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    store = new Store();
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    for (const [name, ip] of [['db', POD_IP], ['web', CALLER]] as const) {
      store.create('pods', 'demo', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      }, { keepStatus: true });
    }
    engine = new NetworkPolicyEngine(store);
    engine.start();
    backend = await startBackend('db', POD_IP);
    proxy = new ServiceProxy({ gate: engine.gate });
    proxy.setBackends([{ ip: POD_IP, port: backend.port, name: 'db' }]);
    port = await proxy.listen(SERVICE_IP, 0);
    engine.onChange(() => engine.cutDenied([proxy]));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    engine.stop();
    await proxy.close();
    await backend.close();
  });

  async function connect(): Promise<TestClient> {
    const client = await dial(SERVICE_IP, port, CALLER);
    clients.push(client);
    return client;
  }

  const denyDb = (): void => {
    store.create('networking.k8s.io/networkpolicies', 'demo', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-db', namespace: 'demo' },
      spec: { podSelector: { matchLabels: { app: 'db' } } },
    });
  };

  it('forwards a connection the policies allow and drops one they deny', async () => {
    const allowed = await connect();
    await allowed.waitFor('db\n');
    denyDb();
    await until(() => proxy.stats().activeConnections === 0);
    const denied = await connect();
    // the proxy decided on it: dropped, never forwarded
    await until(() => proxy.stats().dropped === 1);
    await settle();
    expect(denied.text).to.equal('');
    expect(proxy.stats()).to.include({ dropped: 1, activeConnections: 1 });
  });

  it('resets the allowed connections a new policy denies, and leaves the dropped ones held', async () => {
    store.create('networking.k8s.io/networkpolicies', 'demo', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-only-to-api', namespace: 'demo' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] },
    });
    await new Promise((r) => setImmediate(r));
    const held = await connect();
    store.delete('networking.k8s.io/networkpolicies', 'demo', 'web-only-to-api');
    const open = await connect();
    await open.waitFor('db\n');
    denyDb();
    expect(await open.closed).to.equal('ECONNRESET');
    // the cut that reset `open` ran at once on the policy change: a reset of `held` would have come with it
    await settle();
    expect(held.socket.destroyed).to.equal(false);
    expect(proxy.stats()).to.include({ dropped: 1, activeConnections: 1 });
  });
});
