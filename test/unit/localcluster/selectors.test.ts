import { expect } from 'chai';
import {
  formatLabelSelector, labelSelectorFromMap, labelSelectorFromSpec, matchesFields, matchesLabels,
  parseFieldSelector, parseLabelSelector,
} from '../../../src/kube/selectors.js';
import { ApiError, type KObject } from '../../../src/localcluster/api/types.js';

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

const labelsMatch = (selector: string, labels?: Record<string, string>): boolean => matchesLabels(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  it('matches everything with an empty selector, even an object without labels', () => {
    expect(labelsMatch('', undefined)).to.equal(true);
    expect(labelsMatch('   ', { a: 'b' })).to.equal(true);
  });

  it('matches equality in its three spellings', () => {
    for (const text of ['app=web', 'app==web', ' app = web ']) {
      expect(labelsMatch(text, { app: 'web' }), text).to.equal(true);
      expect(labelsMatch(text, { app: 'db' }), text).to.equal(false);
      expect(labelsMatch(text, {}), text).to.equal(false);
    }
  });

  it('matches != on objects that lack the label', () => {
    expect(labelsMatch('app!=web', {})).to.equal(true);
    expect(labelsMatch('app!=web', { app: 'db' })).to.equal(true);
    expect(labelsMatch('app!=web', { app: 'web' })).to.equal(false);
  });

  it('matches set-based in and notin, notin also on a missing label', () => {
    expect(labelsMatch('env in (prod, staging)', { env: 'staging' })).to.equal(true);
    expect(labelsMatch('env in (prod,staging)', { env: 'dev' })).to.equal(false);
    expect(labelsMatch('env in (prod)', {})).to.equal(false);
    expect(labelsMatch('env notin (prod)', {})).to.equal(true);
    expect(labelsMatch('env notin (prod,dev)', { env: 'dev' })).to.equal(false);
  });

  it('matches existence and non-existence', () => {
    expect(labelsMatch('app', { app: '' })).to.equal(true);
    expect(labelsMatch('app', {})).to.equal(false);
    expect(labelsMatch('!app', {})).to.equal(true);
    expect(labelsMatch('! app', { app: 'x' })).to.equal(false);
  });

  it('requires every comma-separated requirement to match', () => {
    const sel = 'app=web, tier in (front), !canary';
    expect(labelsMatch(sel, { app: 'web', tier: 'front' })).to.equal(true);
    expect(labelsMatch(sel, { app: 'web', tier: 'front', canary: 'true' })).to.equal(false);
  });

  it('reads in and notin as plain identifiers in key and value position', () => {
    expect(labelsMatch('in in (in,notin)', { in: 'notin' })).to.equal(true);
  });

  it('compares gt and lt numerically', () => {
    expect(labelsMatch('gen>3', { gen: '10' })).to.equal(true);
    expect(labelsMatch('gen<3', { gen: '10' })).to.equal(false);
    expect(labelsMatch('gen>3', { gen: 'x' })).to.equal(false);
  });

  it('takes an empty value after = and an empty set as the empty string', () => {
    expect(labelsMatch('app=', { app: '' })).to.equal(true);
    expect(labelsMatch('app in ()', { app: '' })).to.equal(true);
  });

  it('rejects a missing operator with the apimachinery message', () => {
    const err = apiError(() => parseLabelSelector('app web'));
    expect([err.code, err.reason]).to.deep.equal([400, 'BadRequest']);
    expect(err.message).to.equal("unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt");
  });

  it('rejects an invalid key, naming the nil field path as apimachinery does', () => {
    const err = apiError(() => parseLabelSelector('a@b=c'));
    expect(err.message).to.match(/^unable to parse requirement: <nil>: Invalid value: "a@b": name part must consist of alphanumeric characters/);
  });

  it('rejects an invalid value with its values[i][v] field path', () => {
    const err = apiError(() => parseLabelSelector('app=b@d'));
    expect(err.message).to.match(/^unable to parse requirement: values\[0\]\[b@d\]: Invalid value: "b@d": a valid label must be an empty string or consist of/);
  });

  it('rejects dangling commas and unclosed sets', () => {
    expect(apiError(() => parseLabelSelector('a=b,')).message).to.equal("found '', expected: identifier after ','");
    expect(apiError(() => parseLabelSelector(',a')).message).to.equal("found ',', expected: !, identifier, or 'end of string'");
    expect(apiError(() => parseLabelSelector('a in (b')).message).to.equal("unable to parse requirement: found '', expected: ',' or ')'");
    expect(apiError(() => parseLabelSelector('a in b')).message).to.equal("unable to parse requirement: found 'b', expected: '('");
  });
});

describe('label selectors from objects', () => {
  it('selects nothing for a missing metav1.LabelSelector and everything for {}', () => {
    expect(matchesLabels(labelSelectorFromSpec(undefined), { a: 'b' })).to.equal(false);
    expect(matchesLabels(labelSelectorFromSpec(null), {})).to.equal(false);
    expect(matchesLabels(labelSelectorFromSpec({}), {})).to.equal(true);
  });

  it('combines matchLabels with In, NotIn, Exists and DoesNotExist expressions', () => {
    const sel = labelSelectorFromSpec({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'team', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(matchesLabels(sel, { app: 'web', tier: 'edge', team: 'a' })).to.equal(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'edge', team: 'a', env: 'dev' })).to.equal(false);
    expect(matchesLabels(sel, { app: 'web', tier: 'edge' })).to.equal(false);
    expect(matchesLabels(sel, { app: 'web', tier: 'edge', team: 'a', canary: '1' })).to.equal(false);
  });

  it('rejects an unknown operator', () => {
    const err = apiError(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }));
    expect(err.message).to.equal('"Gt" is not a valid label selector operator');
  });

  it('selects nothing for a Service without selector', () => {
    expect(matchesLabels(labelSelectorFromMap(undefined), {})).to.equal(false);
    expect(matchesLabels(labelSelectorFromMap({}), { a: 'b' })).to.equal(false);
    expect(matchesLabels(labelSelectorFromMap({ app: 'web' }), { app: 'web', x: 'y' })).to.equal(true);
  });

  it('formats a selector sorted by key with sorted set values', () => {
    const spec = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'env', operator: 'NotIn', values: ['test', 'dev'] },
        { key: 'x', operator: 'DoesNotExist' },
        { key: 'y', operator: 'Exists' },
      ],
    };
    expect(formatLabelSelector(spec)).to.equal('app=web,env notin (dev,test),tier in (a,b),!x,y');
    expect(formatLabelSelector(parseLabelSelector('b=2,a!=1'))).to.equal('a!=1,b=2');
  });

  it('formats empty and missing selectors as <none> and invalid ones as <error>', () => {
    expect(formatLabelSelector(undefined)).to.equal('<none>');
    expect(formatLabelSelector({})).to.equal('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).to.equal('<error>');
  });
});

const pod = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec, status });

describe('field selectors', () => {
  const scheduled = pod('a', { nodeName: 'n1', restartPolicy: 'Always' }, { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] });
  const pending = pod('b', { restartPolicy: 'Never' }, { phase: 'Pending' });

  it('selects unscheduled pods with spec.nodeName=', () => {
    const sel = parseFieldSelector('spec.nodeName=', 'pods');
    expect([scheduled, pending].filter((p) => matchesFields(sel, p)).map((p) => p.metadata.name)).to.deep.equal(['b']);
  });

  it('combines =, == and != terms', () => {
    const sel = parseFieldSelector('status.phase==Running,spec.nodeName!=n2,metadata.namespace=default', 'pods');
    expect(matchesFields(sel, scheduled)).to.equal(true);
    expect(matchesFields(sel, pending)).to.equal(false);
  });

  it('compares booleans and counts by their string form, defaulting like Go zero values', () => {
    expect(matchesFields(parseFieldSelector('spec.hostNetwork=false', 'pods'), pending)).to.equal(true);
    expect(matchesFields(parseFieldSelector('status.podIP=10.0.0.1', 'pods'), scheduled)).to.equal(true);
    const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } };
    expect(matchesFields(parseFieldSelector('spec.unschedulable=true', 'nodes'), node)).to.equal(true);
    const rs: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' } };
    expect(matchesFields(parseFieldSelector('status.replicas=0', 'apps/replicasets'), rs)).to.equal(true);
    const job: KObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { succeeded: 2 } };
    expect(matchesFields(parseFieldSelector('status.successful=2', 'batch/jobs'), job)).to.equal(true);
  });

  it('selects core events by involvedObject and source', () => {
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'web-1' }, source: { component: 'kubelet' }, type: 'Warning' } as KObject;
    expect(matchesFields(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=web-1,source=kubelet,type=Warning', 'events'), event)).to.equal(true);
  });

  it('selects events.k8s.io events by regarding.* and by the core spelling', () => {
    const event = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, regarding: { kind: 'Pod', name: 'web-1' }, reportingController: 'kubelet' } as KObject;
    expect(matchesFields(parseFieldSelector('regarding.name=web-1,reportingController=kubelet', 'events.k8s.io/events'), event)).to.equal(true);
    expect(matchesFields(parseFieldSelector('involvedObject.name=web-1', 'events.k8s.io/events'), event)).to.equal(true);
  });

  it('rejects a field label the resource does not support', () => {
    const err = apiError(() => parseFieldSelector('spec.nodeName=n1', 'services'));
    expect([err.code, err.reason, err.message]).to.deep.equal([400, 'BadRequest', 'field label not supported: spec.nodeName']);
  });

  it('rejects a term without operator', () => {
    expect(apiError(() => parseFieldSelector('metadata.name', 'pods')).message).to.equal("invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  });

  it('unescapes \\, \\= and \\\\ in values and rejects bare = in a value', () => {
    const odd = pod('a,b=c', {});
    expect(matchesFields(parseFieldSelector('metadata.name=a\\,b\\=c', 'pods'), odd)).to.equal(true);
    expect(apiError(() => parseFieldSelector('metadata.name=a=b', 'pods')).message).to.equal('invalid field selector: unescaped character in value: 61');
    expect(apiError(() => parseFieldSelector('metadata.name=a\\x', 'pods')).message).to.equal('invalid field selector: invalid escape sequence: \\x');
  });

  it('matches everything with an empty field selector', () => {
    expect(matchesFields(parseFieldSelector('', 'pods'), pending)).to.equal(true);
  });
});
