import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { NetworkPolicyEngine } from '../../../../src/localcluster/network/policy-engine.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { ManualClock, newStore, settle } from '../controllers/harness.js';

const EXTERNAL = '127.0.0.1';

describe('NetworkPolicyEngine', () => {
  let store: Store;
  let engine: NetworkPolicyEngine;

  beforeEach(async () => {
    store = newStore(new ManualClock(), ['default', 'demo', 'other']);
    store.mutate('namespaces', undefined, 'other', (d) => { d.metadata.labels = { ...d.metadata.labels, team: 'blue' }; });
    addPod('web', 'demo', '127.10.1.2', { app: 'web' });
    addPod('api', 'demo', '127.10.1.3', { app: 'api' });
    addPod('db', 'demo', '127.10.2.4', { app: 'db' });
    addPod('tool', 'other', '127.10.3.5', { app: 'tool' });
    engine = new NetworkPolicyEngine(store);
    engine.start();
    await settle();
  });

  afterEach(() => engine.stop());

  function addPod(name: string, namespace: string, ip: string, labels: Record<string, string>): void {
    store.create('pods', namespace, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels },
      spec: { containers: [{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9090 }] }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    }, { keepStatus: true });
  }

  async function policy(name: string, spec: Record<string, unknown>, namespace = 'demo'): Promise<KObject> {
    const np = store.create('networking.k8s.io/networkpolicies', namespace, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
    await settle();
    return np;
  }

  const verdict = (srcIp: string, dstIp: string, dstPort = 8080) => engine.deny({ srcIp, dstIp, dstPort }) ?? 'allow';

  it('allows everything while no policy selects the pods', () => {
    expect([verdict('127.10.1.2', '127.10.2.4'), verdict(EXTERNAL, '127.10.2.4'), verdict('127.10.3.5', '127.10.1.3')]).to.deep.equal(['allow', 'allow', 'allow']);
  });

  it('denies all ingress to the pods an empty-rule policy selects, and only to those', async () => {
    await policy('deny-db', { podSelector: { matchLabels: { app: 'db' } } });
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('ingress');
    expect(verdict(EXTERNAL, '127.10.2.4')).to.equal('ingress');
    expect(verdict('127.10.1.2', '127.10.1.3')).to.equal('allow');
  });

  it('admits pods of the same namespace matched by a podSelector peer, not same-labelled pods elsewhere', async () => {
    await policy('db-from-api', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] });
    addPod('api-other', 'other', '127.10.3.6', { app: 'api' });
    await settle();
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('allow');
    expect(verdict('127.10.1.2', '127.10.2.4')).to.equal('ingress');
    expect(verdict('127.10.3.6', '127.10.2.4')).to.equal('ingress');
  });

  it('matches a namespaceSelector on namespace labels and on kubernetes.io/metadata.name', async () => {
    await policy('from-blue', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }] });
    expect(verdict('127.10.3.5', '127.10.2.4')).to.equal('allow');
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('ingress');
    await policy('from-demo-web', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'demo' } }, podSelector: { matchLabels: { app: 'web' } } }] }],
    });
    expect(verdict('127.10.1.2', '127.10.2.4')).to.equal('allow');
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('ingress');
  });

  it('matches ipBlock peers on the source address, minus the except ranges, for sources outside the cluster', async () => {
    await policy('from-loopback', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '127.0.0.0/16', except: ['127.0.0.0/24'] } }] }] });
    expect(verdict('127.0.5.9', '127.10.2.4')).to.equal('allow');
    expect(verdict(EXTERNAL, '127.10.2.4')).to.equal('ingress');
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('ingress');
  });

  it('restricts ports by number, range and container port name', async () => {
    await policy('ports', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ ports: [{ port: 'admin' }, { port: 7000, endPort: 7010 }, { port: 8080, protocol: 'UDP' }] }],
    });
    expect(verdict(EXTERNAL, '127.10.2.4', 9090)).to.equal('allow');
    expect(verdict(EXTERNAL, '127.10.2.4', 7005)).to.equal('allow');
    expect(verdict(EXTERNAL, '127.10.2.4', 7011)).to.equal('ingress');
    expect(verdict(EXTERNAL, '127.10.2.4', 8080)).to.equal('ingress');
  });

  it('needs both the egress of the source pod and the ingress of the destination pod to allow', async () => {
    await policy('web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] });
    expect(verdict('127.10.1.2', '127.10.1.3')).to.equal('allow');
    expect(verdict('127.10.1.2', '127.10.2.4')).to.equal('egress');
    expect(verdict(EXTERNAL, '127.10.1.2')).to.equal('allow');
    await policy('api-ingress', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }] });
    expect(verdict('127.10.1.2', '127.10.1.3')).to.equal('ingress');
  });

  it('isolates for egress only when the stored policyTypes say so', async () => {
    const np = await policy('egress-default', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] });
    expect(np.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
    expect(verdict('127.10.1.2', '127.10.2.4')).to.equal('egress');
    expect(verdict('127.10.1.3', '127.10.1.2')).to.equal('ingress');
  });

  it('allows again once the last policy selecting the pod is deleted, and follows pod relabelling', async () => {
    await policy('deny-db', { podSelector: { matchLabels: { app: 'db' } } });
    store.mutate('pods', 'demo', 'db', (d) => { d.metadata.labels = { app: 'cache' }; });
    await settle();
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('allow');
    store.mutate('pods', 'demo', 'db', (d) => { d.metadata.labels = { app: 'db' }; });
    await settle();
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('ingress');
    store.delete('networking.k8s.io/networkpolicies', 'demo', 'deny-db');
    await settle();
    expect(verdict('127.10.1.3', '127.10.2.4')).to.equal('allow');
  });

  it('tells listeners once per batch of changes', async () => {
    let calls = 0;
    engine.onChange(() => calls++);
    store.create('networking.k8s.io/networkpolicies', 'demo', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a', namespace: 'demo' }, spec: { podSelector: {} } });
    store.create('networking.k8s.io/networkpolicies', 'demo', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'b', namespace: 'demo' }, spec: { podSelector: {} } });
    await settle();
    expect(calls).to.equal(1);
  });
});
