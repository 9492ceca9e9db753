import { expect } from 'chai';
import { NetworkPolicyEngine } from '../../../src/localcluster/network/index.js';
import { nodeRuleset, type LocalPod } from '../../../src/localcluster/real/index.js';
import type { Store } from '../../../src/localcluster/store/store.js';
import { ManualClock, newStore, settle } from './controllers/harness.js';

const NODE_IP = '198.18.0.11';
const web: LocalPod = { ip: '198.18.128.2', mark: 1, cgroup: 'unified/crt-r1/198-18-128-2', cgroupLevel: 2 };

/** The body of chain `name` in `script`, one rule a line. */
function chain(script: string, name: string): string[] {
  const m = new RegExp(`  chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`).exec(script);
  if (!m) return [];
  return m[1]!.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('type '));
}

describe('nodeRuleset: NetworkPolicies compiled to a node namespace\'s nftables table', () => {
  let store: Store;
  let engine: NetworkPolicyEngine;

  beforeEach(async () => {
    store = newStore(new ManualClock(), ['default', 'demo', 'other']);
    store.mutate('namespaces', undefined, 'other', (d) => { d.metadata.labels = { ...d.metadata.labels, team: 'blue' }; });
    addPod('web', 'demo', web.ip, { app: 'web' });
    addPod('friend', 'demo', '198.18.129.3', { role: 'friend' });
    addPod('tool', 'other', '198.18.129.4', { app: 'tool' });
    engine = new NetworkPolicyEngine(store);
    engine.start();
    await settle();
  });

  afterEach(() => engine.stop());

  function addPod(name: string, namespace: string, ip: string, labels: Record<string, string>): void {
    store.create('pods', namespace, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels },
      spec: { containers: [{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: NODE_IP },
    }, { keepStatus: true });
  }

  async function policy(name: string, spec: Record<string, unknown>): Promise<void> {
    store.create('networking.k8s.io/networkpolicies', 'demo', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'demo' }, spec });
    await settle();
  }

  const rules = (cni: 'keep' | 'drop' | 'reset' = 'keep') => nodeRuleset({ nodeIP: NODE_IP, cni, pods: [web], policies: engine });

  it('replaces table ip crt atomically, marks each pod\'s sockets by its cgroup and SNATs its new connections to its pod IP', () => {
    const script = rules();
    expect(script.split('\n').slice(0, 3)).to.deep.equal(['table ip crt', 'delete table ip crt', 'table ip crt {']);
    expect(chain(script, 'pod_mark')).to.deep.equal(['socket cgroupv2 level 2 "unified/crt-r1/198-18-128-2" meta mark set 1']);
    expect(chain(script, 'pod_snat')).to.deep.equal(['meta mark 1 ip saddr != 198.18.128.2 snat to 198.18.128.2']);
    // no policy selects the pod: nothing is filtered, established flows are accepted first (keep)
    expect(chain(script, 'policy_in')).to.deep.equal(['ct state established,related accept']);
    expect(script).not.to.contain('chain in_1');
  });

  it('an ingress policy from a pod selector on a named port admits those pods on that port, the node itself, and drops the rest', async () => {
    await policy('friends', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 'http' }] }] });
    const script = rules();
    expect(chain(script, 'policy_in')).to.deep.equal(['ct state established,related accept', 'ct reply ip saddr vmap { 198.18.128.2 : jump in_1 }']);
    expect(chain(script, 'in_1')).to.deep.equal([
      'ct reply ip daddr 198.18.0.11 return',
      'ct reply ip daddr { 198.18.129.3 } meta l4proto tcp ct reply proto-src 8080 return',
      'drop',
    ]);
  });

  it('namespace selectors, ipBlocks with except and port ranges become address and port matches', async () => {
    await policy('mixed', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }, { ipBlock: { cidr: '198.18.0.0/16', except: ['198.18.0.0/24'] } }], ports: [{ port: 9000, endPort: 9010 }] }],
    });
    expect(chain(rules(), 'in_1').slice(1, -1)).to.deep.equal([
      'ct reply ip daddr 198.18.0.0-198.18.255.255 ct reply ip daddr != { 198.18.0.0-198.18.0.255 } meta l4proto tcp ct reply proto-src 9000-9010 return',
      'ct reply ip daddr { 198.18.129.4 } meta l4proto tcp ct reply proto-src 9000-9010 return',
    ]);
  });

  it('a deny-all egress policy drops the pod\'s new connections after its SNAT; keep accepts its established ones', async () => {
    await policy('no-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] });
    const script = rules('keep');
    expect(chain(script, 'policy_new_out')).to.deep.equal(['ct state new ct reply ip daddr vmap { 198.18.128.2 : jump egn_1 }']);
    expect(chain(script, 'egn_1')).to.deep.equal(['drop']);
    expect(script).not.to.contain('chain eg_1');
    expect(script).not.to.contain('chain policy_out');
  });

  it('drop checks every packet of a flow both ways; reset answers established ones with a TCP reset and lets resets through', async () => {
    await policy('deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] });
    const drop = rules('drop');
    expect(chain(drop, 'policy_in')).to.deep.equal(['ct reply ip saddr vmap { 198.18.128.2 : jump in_1 }', 'ct state != new ct reply ip daddr vmap { 198.18.128.2 : jump eg_1 }']);
    expect(chain(drop, 'policy_out')).to.deep.equal(['ct state new accept', 'ct reply ip saddr vmap { 198.18.128.2 : jump in_1 }', 'ct reply ip daddr vmap { 198.18.128.2 : jump eg_1 }']);
    expect(chain(drop, 'in_1')).to.deep.equal(['ct reply ip daddr 198.18.0.11 return', 'drop']);
    const reset = rules('reset');
    expect(chain(reset, 'policy_in')[0]).to.equal('meta l4proto tcp tcp flags & rst == rst accept');
    expect(chain(reset, 'in_1')).to.deep.equal(['ct reply ip daddr 198.18.0.11 return', 'ct state new drop', 'meta l4proto tcp reject with tcp reset', 'drop']);
    // new connections are dropped (never reset) in every profile
    expect(chain(reset, 'egn_1')).to.deep.equal(['drop']);
  });
});
