import { expect } from 'chai';
import { applyDefaults } from '../../../src/localcluster/api/defaults.js';
import { builtinResources } from '../../../src/localcluster/api/resources.js';
import { toTable } from '../../../src/localcluster/api/tables.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { validateObject } from '../../../src/localcluster/api/validation.js';

const KEY = 'networking.k8s.io/networkpolicies';
const policy = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'demo' }, spec });
const defaulted = (spec: Record<string, unknown>): KObject => {
  const np = policy(spec);
  applyDefaults(KEY, np);
  return np;
};
const problems = (spec: Record<string, unknown>): string[] => validateObject(KEY, defaulted(spec)).map((c) => `${c.field}: ${c.message}`);

describe('NetworkPolicy defaults, validation and table', () => {
  it('defaults policyTypes to Ingress, adding Egress when there are egress rules', () => {
    expect(defaulted({ podSelector: {} }).spec.policyTypes).to.deep.equal(['Ingress']);
    expect(defaulted({ podSelector: {}, egress: [{}] }).spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
    expect(defaulted({ podSelector: {}, egress: [{}], policyTypes: ['Egress'] }).spec.policyTypes).to.deep.equal(['Egress']);
  });

  it('defaults the protocol of rule ports to TCP', () => {
    const np = defaulted({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] });
    expect(np.spec.ingress[0].ports.map((p: { protocol: string }) => p.protocol)).to.deep.equal(['TCP', 'UDP']);
  });

  it('accepts a policy with selectors, ipBlocks, named ports and port ranges', () => {
    expect(problems({
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ podSelector: {}, namespaceSelector: { matchLabels: { team: 'a' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'http' }, { port: 7000, endPort: 7010 }] }],
      egress: [{ to: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] } }] }],
    })).to.deep.equal([]);
  });

  it('reports bad peers, ports, CIDRs and policyTypes with their field paths', () => {
    expect(problems({
      podSelector: {},
      ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16', 'x'] } }], ports: [{ port: 70000 }, { port: 'http', endPort: 90 }, { port: 90, endPort: 80 }] }],
      policyTypes: ['Ingress', 'Sideways'],
    })).to.deep.equal([
      'spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[1].endPort: Forbidden: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[2].endPort: Invalid value: 80: must be greater than or equal to `port`',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1]: Forbidden: may not specify more than 1 peer',
      'spec.ingress[0].from[2].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[2].ipBlock.except[1]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Egress", "Ingress"',
    ]);
  });

  it('prints NAME, POD-SELECTOR and AGE rows, <none> for an empty selector', () => {
    const resource = builtinResources.find((r) => r.key === KEY)!;
    const table = toTable(resource, [policy({ podSelector: { matchLabels: { app: 'db' } } }), policy({ podSelector: {} })], { nowMs: Date.now() });
    expect(table.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Pod-Selector', 'Age']);
    expect(table.rows.map((r) => r.cells.slice(0, 2))).to.deep.equal([['np', 'app=db'], ['np', '<none>']]);
  });
});
