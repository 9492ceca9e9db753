import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { PlanError } from '../../../src/core/errors.js';
import { DEFAULT_REGRESSION, regressionThresholds } from '../../../src/results/regression.js';
import { defaultOpenConnections, loadPlan, plannedLoadMs, type CaseSpec, type LoadSpec, type Plan } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/plans/', import.meta.url));
const fixture = (name: string) => path.join(dir, name);

function load(name: string, env: Record<string, string> = {}) {
  return loadPlan(fixture(name), env);
}

function caseOf(plan: Plan, id: string): CaseSpec {
  const found = plan.cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id} in ${plan.display}`);
  return found;
}

function loadOf(plan: Plan, id: string): LoadSpec {
  const spec = caseOf(plan, id).load;
  if (!spec) throw new Error(`case ${id} has no load`);
  return spec;
}

describe('loadPlan', () => {
  describe('defaults', () => {
    const { plan, warnings } = load('minimal.yaml');
    const spec = loadOf(plan, 'LOG-01');

    it('loads a minimal plan without warnings', () => {
      expect(plan.name).to.equal('minimal');
      expect(warnings).to.deep.equal([]);
    });

    it('counts 2xx and 3xx as successes when okStatus is not set', () => {
      expect(spec.okStatus).to.deep.equal([[200, 299], [300, 399]]);
    });

    it('times requests out after 10s when the load sets no timeout', () => {
      expect(spec.timeoutMs).to.equal(10_000);
    });

    it('measures recovery as 99% success held for 10s when nothing says otherwise', () => {
      expect(caseOf(plan, 'LOG-01').recovery).to.deep.equal({ successRate: 0.99, stableForMs: 10_000 });
    });

    it('gives a case without timeout its planned duration plus 5 minutes', () => {
      expect(caseOf(plan, 'LOG-01').timeoutMs).to.equal(60_000 + 5 * 60_000);
    });

    it('sends GET / to the target with one autocannon generator', () => {
      expect(spec).to.include({ engine: 'autocannon', method: 'GET', path: '/', target: 'gateway', url: null, body: null, generators: 1, staggerMs: 0 });
      expect(spec.stages).to.deep.equal([{ index: 0, name: 'main', connections: 10, rateRps: null, durationMs: 60_000, requests: null }]);
    });

    it('drops the trailing slash of a target url and connects within 5s', () => {
      expect(plan.targets.gateway).to.include({ url: 'http://127.0.0.1:8080', service: null, connectTimeoutMs: 5000 });
    });
  });

  describe('environment substitution', () => {
    it('types an unquoted ${PORT:-8080} as a number and a quoted one as a string', () => {
      const { plan } = load('env.yaml');
      const versions = (plan.resolved as { metadata: { versions: Record<string, unknown> } }).metadata.versions;
      expect(versions).to.deep.equal({ port: 8080, portText: '8080' });
      expect(plan.versions).to.deep.equal({ port: '8080', portText: '8080' });
    });

    it('types an unquoted integer as a number where the schema wants one', () => {
      const { plan } = load('env.yaml', { CONNECTIONS: '25' });
      expect(loadOf(plan, 'LOG-01').stages[0]?.connections).to.equal(25);
    });

    it('types an unquoted true as a boolean', () => {
      const { plan } = load('env.yaml');
      expect(caseOf(plan, 'LOG-01').conditions[0]?.params).to.deep.equal({ all: true });
    });

    it('keeps a quoted substitution a string even when it reads as a number', () => {
      const { plan } = load('env.yaml', { RUN_ID: '123' });
      expect(loadOf(plan, 'LOG-01').headers).to.deep.equal({ 'x-run': '123' });
    });

    it('prefers the variable to the default, inside longer strings too', () => {
      const { plan } = load('env.yaml', { PORT: '9090', HOST: 'gw.test', STAGE: 'prod' });
      expect(plan.targets.gateway?.url).to.equal('http://gw.test:9090');
      expect(plan.name).to.equal('env-prod');
    });

    it('uses the default when the variable is set but empty', () => {
      const { plan } = load('env.yaml', { CONNECTIONS: '', DURATION: '' });
      expect(loadOf(plan, 'LOG-01').stages[0]).to.include({ connections: 40, durationMs: 60_000 });
    });

    it('reads $${ as a literal ${', () => {
      const { plan } = load('env.yaml', { HOME: '/root' });
      expect(plan.description).to.equal('costs ${HOME} dollars, not euros');
    });
  });

  describe('regression thresholds', () => {
    it('keeps the plan\'s and each case\'s regression: in the resolved plan run.json records, case over plan over defaults', () => {
      const of = regressionThresholds(load('full.yaml').plan.resolved);
      expect(of('LOG-01')).to.deep.equal({
        ...DEFAULT_REGRESSION,
        p95: { kind: 'relative', value: 0.25, text: '+25%' },
        errorRate: { kind: 'absolute', value: 0.005, text: '+0.5%' },
        recoveryTime: null,
      });
      expect(of('PHY-01').p95).to.deep.equal({ kind: 'absolute', value: 50, text: '+50ms' });
    });
  });

  describe('scenario files', () => {
    const { plan } = load('full.yaml');
    const spec = loadOf(plan, 'LOG-01');

    it('merges defaults.load, then the scenario chain from its base, then the inline fields', () => {
      // path: orders.yaml over base.yaml; connections: inline over orders.yaml over base.yaml;
      // duration and okStatus: base.yaml; timeout and target: defaults.load
      expect(spec).to.include({ target: 'gateway', path: '/orders', method: 'GET', timeoutMs: 2000, description: 'read orders' });
      expect(spec.stages[0]).to.include({ connections: 40, durationMs: 30_000 });
      expect(spec.okStatus).to.deep.equal([[200, 299]]);
    });

    it('merges headers from every level, the later level winning', () => {
      expect(spec.headers).to.deep.equal({ 'x-from': 'defaults', 'x-scenario': 'inline', accept: 'application/json' });
    });

    it('records the scenario file the case names, not the one it extends', () => {
      expect(spec.scenarioFile).to.equal(fixture('scenarios/orders.yaml'));
    });

    it('lets an inline url replace the target given by defaults.load', () => {
      expect(loadOf(plan, 'LOG-03')).to.include({ target: null, url: 'http://127.0.0.1:8080/orders' });
    });
  });

  describe('stages and generators', () => {
    const { plan } = load('full.yaml');
    const spec = loadOf(plan, 'LOG-02');

    it('lets each stage inherit the connections and duration of its load', () => {
      expect(spec.stages.map((s) => [s.connections, s.durationMs])).to.deep.equal([
        [10, 20_000],
        [50, 20_000],
        [100, 10_000],
      ]);
    });

    it('names unnamed stages after their concurrency', () => {
      expect(spec.stages.map((s) => s.name)).to.deep.equal(['c=10', 'c=50', 'peak']);
    });

    it('plans the stagger of the last generator on top of the stages', () => {
      expect(spec).to.include({ generators: 3, staggerMs: 5000 });
      expect(plannedLoadMs(spec)).to.equal(2 * 5000 + 20_000 + 20_000 + 10_000);
    });

    it('gives an open-model load without connections defaultOpenConnections(rate)', () => {
      const open = loadOf(plan, 'LOG-03');
      expect(open.stages[0]).to.include({ rateRps: 200, connections: defaultOpenConnections(200) });
      expect(defaultOpenConnections(200)).to.equal(50);
    });

    it('keeps open-model default connections between 2 and 256', () => {
      expect([1, 8, 9, 1024, 1025, 100_000].map(defaultOpenConnections)).to.deep.equal([2, 2, 3, 256, 256, 256]);
    });

    it('sends a json body with POST and content-type application/json', () => {
      expect(loadOf(plan, 'LOG-03')).to.include({ method: 'POST', body: '{"item":42}' });
      expect(loadOf(plan, 'LOG-03').headers['content-type']).to.equal('application/json');
    });
  });

  describe('triggers', () => {
    const { plan } = load('full.yaml');
    const trigger = caseOf(plan, 'LOG-01').trigger;

    it('merges a chaos file under the keys the plan overrides', () => {
      const kill = trigger.find((a) => a.kind === 'pod-kill');
      expect(kill?.params).to.deep.equal({ namespace: 'demo', selector: 'app=gateway', count: 2, gracePeriodSeconds: 0 });
      expect(kill?.description).to.equal('kill one gateway pod');
      expect(kill?.ref).to.equal(fixture('chaos/pod-kill-gateway.yaml'));
    });

    it('orders the timeline by time and names unnamed steps <fault>-<n>', () => {
      expect(trigger.map((a) => [a.name, a.atMs])).to.deep.equal([
        ['mark', 5000],
        ['pod-kill-1', 10_000],
      ]);
    });

    it('takes node-loss mode: link with the local provider (the default) and refuses it with another, at the mode key', async () => {
      const tmp = await tempDir();
      const plan = (steps: string): string => `apiVersion: crt/v1
metadata: {name: link}
targets: {gateway: {url: 'http://127.0.0.1:8080'}}
layers:
  physical:
    - id: PHY-01
      title: A worker loses its network link
      objective: the gateway serves on
      load: {target: gateway, connections: 2, duration: 30s}
      trigger:
${steps}`;
      try {
        const ok = path.join(tmp.dir, 'ok.yaml');
        await writeFile(ok, plan(`        - {at: 1s, fault: node-loss, node: node-2, mode: link}
        - {at: 2s, fault: node-loss, node: node-3, provider: local, mode: link}
        - {at: 3s, fault: node-loss, node: node-1, provider: taint, mode: power}
`));
        expect(loadPlan(ok, {}).plan.cases[0]!.trigger.map((a) => a.kind === 'node-loss' && a.params.mode)).to.deep.equal(['link', 'link', 'power']);
        const bad = path.join(tmp.dir, 'bad.yaml');
        await writeFile(bad, plan(`        - {at: 1s, fault: node-loss, node: node-2, provider: taint, mode: link}\n`));
        const err = (() => {
          try {
            loadPlan(bad, {});
          } catch (e) {
            return e;
          }
          return null;
        })();
        expect(err).to.be.instanceOf(PlanError);
        expect((err as PlanError).problems.map((p) => [p.path, p.line, p.message])).to.deep.equal([
          ['layers.physical[0].trigger[0].mode', 11, 'mode: link needs provider: local (the embedded cluster\'s link switch), not taint'],
        ]);
      } finally {
        await tmp.remove();
      }
    });

    it('plans a case without load from its timeline, under defaults.timeout', () => {
      const phy = caseOf(plan, 'PHY-01');
      expect(phy.trigger.map((a) => a.atMs)).to.deep.equal([0, 300_000]);
      expect(phy.timeoutMs).to.equal(20 * 60_000);
    });
  });

  describe('probes', () => {
    const { plan } = load('full.yaml');

    it('gives probes a 10s timeout and no waiting unless they say otherwise', () => {
      const [health, deployment] = caseOf(plan, 'LOG-01').conditions;
      expect(health).to.include({ kind: 'http', name: 'http-1', timeoutMs: 10_000, waitForMs: 0 });
      expect(deployment).to.include({ kind: 'deployment-available', timeoutMs: 30_000 });
    });

    it('keeps the name of the deployment a deployment-available probe checks', () => {
      expect(caseOf(plan, 'LOG-01').conditions[1]?.params).to.deep.equal({ namespace: 'demo', deployment: 'gateway' });
    });
  });

  describe('expectations and abort rules', () => {
    const { plan } = load('full.yaml');
    const c = caseOf(plan, 'LOG-01');
    const bounds = c.expect.phases.map(({ phase, metric, bound, value, text }) => ({ phase, metric, bound, value, text }));

    it('reads a bare value as a maximum, in the unit of the metric', () => {
      expect(bounds).to.deep.include({ phase: 'whole', metric: 'errorRate', bound: 'max', value: 0.01, text: '1%' });
    });

    it('reads {min, max} as two bounds', () => {
      expect(bounds.filter((b) => b.metric === 'p99')).to.deep.equal([
        { phase: 'whole', metric: 'p99', bound: 'max', value: 500, text: '500ms' },
        { phase: 'whole', metric: 'p99', bound: 'min', value: 1, text: '1ms' },
      ]);
      expect(bounds).to.deep.include({ phase: 'whole', metric: 'rps', bound: 'min', value: 100, text: '100' });
      expect(bounds).to.deep.include({ phase: 'fault', metric: 'errorRate', bound: 'max', value: 0.05, text: '5%' });
    });

    it('reads recoveryTime in milliseconds and keeps the post-case probes', () => {
      expect(c.expect.recoveryTime.map(({ bound, value }) => ({ bound, value }))).to.deep.equal([{ bound: 'max', value: 30_000 }]);
      expect(c.expect.probes.map((p) => p.kind)).to.deep.equal(['nodes-ready']);
    });

    it('parses abort rules into metric, operator, value in the metric unit and window', () => {
      expect(c.abortIf.map(({ metric, op, value, windowMs, text }) => ({ metric, op, value, windowMs, text }))).to.deep.equal([
        { metric: 'errorRate', op: '>', value: 0.5, windowMs: 10_000, text: 'errorRate > 50% for 10s' },
        { metric: 'p99', op: '>=', value: 2000, windowMs: 30_000, text: 'p99 >= 2s for 30s' },
      ]);
    });

    it('lets a case override part of the recovery settings of defaults', () => {
      expect(caseOf(plan, 'LOG-01').recovery).to.deep.equal({ successRate: 0.95, stableForMs: 5000 });
      expect(caseOf(plan, 'LOG-03').recovery.successRate).to.be.closeTo(0.999, 1e-12);
      expect(caseOf(plan, 'LOG-03').recovery.stableForMs).to.equal(5000);
    });
  });

  describe('the plan', () => {
    const { plan } = load('full.yaml');

    it('lists the cases layer by layer, in file order', () => {
      expect(plan.cases.map((c) => `${c.layer}/${c.id}`)).to.deep.equal(['physical/PHY-01', 'logical/LOG-01', 'logical/LOG-02', 'logical/LOG-03', 'auxiliary/AUX-01']);
    });

    it('locates each case where it is written', () => {
      expect(caseOf(plan, 'LOG-01').location).to.deep.equal({ file: path.relative(process.cwd(), fixture('full.yaml')), line: 45, col: 7, path: 'layers.logical[0]' });
    });

    it('is deeply frozen', () => {
      const stage = loadOf(plan, 'LOG-02').stages[0] as { connections: number };
      expect(Object.isFrozen(plan)).to.equal(true);
      expect(Object.isFrozen(plan.cases)).to.equal(true);
      expect(Object.isFrozen(stage)).to.equal(true);
      expect(() => {
        stage.connections = 1;
      }).to.throw(TypeError);
    });
  });

  describe('warnings', () => {
    const { warnings } = load('warnings.yaml');

    it('warns that stagger has no effect with a single generator', () => {
      expect(warnings.map((w) => [w.severity, w.path, w.line, w.col])).to.deep.include(['warning', 'layers.logical[0].load.stagger', 14, 18]);
      expect(warnings.find((w) => w.path.endsWith('stagger'))?.message).to.include('no effect with a single generator');
    });

    it('warns when a revert comes after the end of the load', () => {
      expect(warnings.find((w) => w.path === 'layers.logical[0].trigger[0].revertAfter')?.message).to.include('after the load ends');
    });
  });
});
