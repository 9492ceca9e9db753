import { expect } from 'chai';
import { buildPolicies } from '../../../src/faults/network-cut.js';
import { labelValue } from '../../../src/kube/index.js';
import { labelSelectorObject, negatedSelectors } from '../../../src/kube/index.js';

const ctx = { runId: 'nightly-2026-11-23 #4', step: 'Cut Link' };

describe('network-cut policies', () => {
  it('turns a label selector string into a metav1.LabelSelector, and negates it into a union of selectors', () => {
    expect(labelSelectorObject('app=gateway,tier in (a,b),!legacy')).to.deep.equal({
      matchLabels: { app: 'gateway' },
      matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }, { key: 'tier', operator: 'In', values: ['a', 'b'] }],
    });
    expect(negatedSelectors('app=gateway,zone!=a,canary')).to.deep.equal([
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['gateway'] }] },
      { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    ]);
    expect(() => labelSelectorObject('app=')).not.to.throw();
    expect(() => labelSelectorObject('app in (')).to.throw(/unable to parse requirement/);
  });

  it('isolates the selected pods with a rule-less policy in the chosen directions, labelled with the run', () => {
    const [np, ...rest] = buildPolicies({ selector: 'app=customer-service', direction: 'ingress' }, 'demo', ctx);
    expect(rest).to.deep.equal([]);
    expect(np!.metadata!.name).to.match(/^crt-cut-cut-link-isolate-[0-9a-f]{6}$/);
    expect(np!.metadata!.labels).to.deep.equal({ 'crt.io/run-id': 'nightly-2026-11-23-4', 'crt.io/step': 'Cut-Link', 'app.kubernetes.io/managed-by': 'crt' });
    expect(np!.metadata!.annotations!['crt.io/run-id']).to.equal('nightly-2026-11-23 #4');
    expect(np!.spec).to.deep.equal({ podSelector: { matchLabels: { app: 'customer-service' } }, policyTypes: ['Ingress'] });
    expect(buildPolicies({ selector: 'app=x' }, 'demo', ctx)[0]!.spec!.policyTypes).to.deep.equal(['Ingress', 'Egress']);
  });

  it('cuts from → to with an ingress policy on `to` admitting everyone else, and an egress policy on `from` reaching everywhere else and DNS', () => {
    const [ingress, egress] = buildPolicies({ from: 'app=gateway', to: 'app=customer-service', direction: 'both' }, 'demo', ctx);
    const others = { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['demo'] }] } };
    expect(ingress!.spec).to.deep.equal({
      podSelector: { matchLabels: { app: 'customer-service' } },
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['gateway'] }] } }, others] }],
    });
    expect(egress!.spec).to.deep.equal({
      podSelector: { matchLabels: { app: 'gateway' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['customer-service'] }] } }, others] },
        { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      ],
    });
    expect(buildPolicies({ from: 'a=1', to: 'b=2' }, 'demo', ctx).map((p) => p.spec!.policyTypes)).to.deep.equal([['Ingress']]);
  });

  it('names a bad selector in its error', () => {
    expect(() => buildPolicies({ from: 'app in (', to: 'b=2' }, 'demo', ctx)).to.throw(/network-cut: from "app in \(" is not a label selector/);
  });

  it('makes label values of any run id', () => {
    expect(labelValue('-a b/c-')).to.equal('a-b-c');
    expect(labelValue('x'.repeat(80))).to.have.length(63);
    expect(labelValue('///')).to.equal('x');
  });
});
