import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError, UsageError } from '../../../src/core/errors.js';
import { MAX_DURATION_MS, isBoundedDuration, isShare } from '../../../src/core/units.js';
import { loadPlan, type Plan } from '../../../src/plan/index.js';
import { readAbortRule } from '../../../src/plan/abort-rule.js';
import { MAX_FILE_BYTES, exceedsSize, readPlanFile } from '../../../src/plan/read-file.js';
import { isEvery } from '../../../src/plan/validate.js';
import { httpUrlProblem } from '../../../src/plan/url-check.js';
import { checkNamespaces } from '../../../src/runner/cluster-guard.js';
import { PlanTargets } from '../../../src/runner/targets.js';
import { tempDir } from '../../helpers/tmp.js';

const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

function problemsOf(file: string, env: Record<string, string> = {}): string[] {
  try {
    loadPlan(file, env);
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(PlanError);
    return (err as PlanError).problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  return [];
}

describe('hostile input', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(() => tmp.remove());

  const write = async (name: string, text: string | Buffer) => {
    const file = path.join(tmp.dir, name);
    await writeFile(file, text);
    return file;
  };
  const planWith = (targets: string, load: string, extra = '') => `apiVersion: crt/v1
metadata: {name: p}
${targets}layers:
  logical:
    - id: LOG-01
      title: a
      objective: b
      load: ${load}
${extra}`;

  describe('names are looked up as own properties only', () => {
    for (const name of PROTOTYPE_NAMES) {
      it(`load.target: ${name} is an unknown target, not Object.prototype.${name}`, async () => {
        const file = await write('p.yaml', planWith('targets: {gw: {url: "http://127.0.0.1:1"}}\n', `{target: ${name}, connections: 1, duration: 1s}`));
        expect(problemsOf(file)).to.deep.equal([`9:22 layers.logical[0].load.target: unknown target "${name}"`]);
      });
    }

    it('an http probe naming toString is an unknown target', async () => {
      const file = await write('p.yaml', planWith('targets: {gw: {url: "http://127.0.0.1:1"}}\n', '{target: gw, connections: 1, duration: 1s}', '      conditions: [{probe: http, target: toString}]\n'));
      expect(problemsOf(file)).to.deep.equal(['10:42 layers.logical[0].conditions[0].target: unknown target "toString"']);
    });

    it('a target really named constructor is found', async () => {
      const file = await write('p.yaml', planWith('targets: {constructor: {url: "http://127.0.0.1:1"}}\n', '{target: constructor, connections: 1, duration: 1s}'));
      const { plan } = loadPlan(file, {});
      expect(plan.cases[0]?.load?.target).to.equal('constructor');
      expect(await new PlanTargets(plan.targets).resolve('constructor')).to.deep.equal({ url: 'http://127.0.0.1:1', headers: {} });
    });

    for (const name of PROTOTYPE_NAMES) {
      it(`PlanTargets.resolve("${name}") is a UsageError (exit 2), not a crash`, async () => {
        const targets = new PlanTargets({});
        const err = await targets.resolve(name).then(() => null, (e: unknown) => e);
        expect(err).to.be.instanceOf(UsageError);
        expect((err as UsageError).message).to.equal(`unknown target ${name}`);
      });
    }
  });

  describe('bounds', () => {
    it('a duration is at most 24 days: timers overflow past 2^31-1 ms', () => {
      expect(MAX_DURATION_MS).to.be.below(2 ** 31 - 1);
      expect(isBoundedDuration('576h')).to.equal(true);
      expect(isBoundedDuration('576h1ms')).to.equal(false);
      expect(isBoundedDuration('597h')).to.equal(false);
      expect(isBoundedDuration('10 s')).to.equal(false);
    });

    it('a share is 0% to 100%', () => {
      expect(['0%', '0.5%', '100%'].map(isShare)).to.deep.equal([true, true, true]);
      expect(['100.1%', '150%', '1'].map(isShare)).to.deep.equal([false, false, false]);
    });

    it('a repeat needs a pause above 0', () => {
      expect(['every 1ms', 'every 30s'].map(isEvery)).to.deep.equal([true, true]);
      expect(['every 0s', 'every 0', 'every 600h', 'each 5s'].map(isEvery)).to.deep.equal([false, false, false, false]);
    });

    it('URL ports are 1 to 65535 and hosts valid', () => {
      expect(httpUrlProblem('http://127.0.0.1:8080/x')).to.equal(null);
      expect(httpUrlProblem('https://[::1]:443')).to.equal(null);
      expect(httpUrlProblem('ftp://x')).to.equal(null); // the schema's pattern reports it
      expect(httpUrlProblem('http://127.0.0.1:99999')).to.equal('port 99999 is out of range: a port is a number from 1 to 65535');
      expect(httpUrlProblem('http://h:0/')).to.equal('port 0 is out of range: a port is a number from 1 to 65535');
      expect(httpUrlProblem('http://h:8o')).to.equal('port 8o is out of range: a port is a number from 1 to 65535');
      expect(httpUrlProblem('http://h:/')).to.equal('a colon after the host needs a port (or remove the colon)');
      expect(httpUrlProblem('http://bad host/')).to.equal('"bad host" is not a valid host name');
      expect(httpUrlProblem('http://:80/')).to.equal('the URL has no host');
    });

    it('each abort rule says what is wrong with it', () => {
      expect(readAbortRule('errorRate > 50% for 10s')).to.deep.equal({ rule: { text: 'errorRate > 50% for 10s', metric: 'errorRate', op: '>', value: 0.5, windowMs: 10_000 } });
      expect(readAbortRule('errorRate > 150% for 10s')).to.have.property('message', 'the value of errorRate must be at most 100%, not "150%"');
      expect(readAbortRule('p99 > 2s for 700h')).to.have.property('message', 'the window "700h" must be a duration from 1s to 24 days (576h)');
      expect(readAbortRule('errs > 1 for 1s')).to.have.property('message', 'unknown metric "errs"');
    });

    it('cluster.local.settings durations are bounded too, even when no case changes them', async () => {
      const file = await write('p.yaml', `apiVersion: crt/v1
metadata: {name: p}
cluster: {local: {nodes: 1, settings: {heartbeat: 1s, nodeMonitorGracePeriod: 600h}}}
layers:
  logical:
    - {id: LOG-01, title: a, objective: b, trigger: [{at: 0s, fault: exec, command: "true"}]}
`);
      expect(problemsOf(file)).to.deep.equal(['3:79 cluster.local.settings.nodeMonitorGracePeriod: cluster.local.settings.nodeMonitorGracePeriod must be at most 24 days (576h)']);
    });

    it('min above max is refused wherever a bound pair is given', async () => {
      const file = await write('p.yaml', planWith('targets: {gw: {url: "http://127.0.0.1:1"}}\n', '{target: gw, connections: 1, duration: 1s}',
        '      trigger: [{at: 0s, fault: exec, command: "true"}]\n' +
        '      expect: {whole: {rps: {min: 10, max: 1}}, fault: {errorRate: {min: 2%, max: 1%}}, recoveryTime: {min: 1m, max: 10s}}\n'));
      expect(problemsOf(file)).to.deep.equal([
        '11:35 layers.logical[0].expect.whole.rps.min: min 10 is above max 1: no value can pass',
        '11:74 layers.logical[0].expect.fault.errorRate.min: min 2% is above max 1%: no value can pass',
        '11:109 layers.logical[0].expect.recoveryTime.min: min 1m is above max 10s: no value can pass',
      ]);
    });
  });

  describe('faults: system namespaces, replica bounds', () => {
    const withFault = (fault: string, namespaces = '') => `apiVersion: crt/v1
metadata: {name: p}
cluster: {local: {nodes: 1}${namespaces}}
layers:
  logical:
    - id: LOG-01
      title: a
      objective: b
      trigger: [${fault}]
`;

    it('kube-system is refused when cluster.namespaces does not list it, located at the namespace', async () => {
      const file = await write('p.yaml', withFault('{at: 0s, fault: scale, namespace: kube-system, workload: deployment/coredns, replicas: 0}'));
      expect(problemsOf(file)).to.deep.equal(['9:51 layers.logical[0].trigger[0].namespace: kube-system is a namespace of Kubernetes itself: a fault there can take the whole cluster down']);
    });

    it('kube-system listed in cluster.namespaces is accepted', async () => {
      const file = await write('p.yaml', withFault('{at: 0s, fault: scale, namespace: kube-system, workload: deployment/coredns, replicas: 0}', ', namespaces: [kube-system]'));
      expect(problemsOf(file)).to.deep.equal([]);
    });

    it('a namespace outside cluster.namespaces is refused by validation too', async () => {
      const file = await write('p.yaml', withFault('{at: 0s, fault: pod-kill, namespace: shop, selector: app=x}', ', namespaces: [demo]'));
      expect(problemsOf(file)).to.deep.equal(['9:54 layers.logical[0].trigger[0].namespace: namespace shop is not in cluster.namespaces (demo)']);
    });

    it('an hpa scale with minReplicas above maxReplicas is refused', async () => {
      const file = await write('p.yaml', withFault('{at: 0s, fault: scale, namespace: demo, workload: hpa/gateway, minReplicas: 5, maxReplicas: 2}'));
      expect(problemsOf(file)).to.deep.equal(['9:93 layers.logical[0].trigger[0].minReplicas: minReplicas 5 is above maxReplicas 2']);
    });

    it('a namespace a chaos file sets is located at the ref', async () => {
      await write('chaos.yaml', 'fault: pod-kill\nnamespace: kube-system\nselector: k8s-app=kube-dns\n');
      const file = await write('p.yaml', withFault('{at: 0s, ref: chaos.yaml}'));
      expect(problemsOf(file)).to.deep.equal(['9:31 layers.logical[0].trigger[0].ref: kube-system is a namespace of Kubernetes itself: a fault there can take the whole cluster down']);
    });

    it('the run refuses them too (exit 2) when no allowlist is given', async () => {
      const file = await write('p.yaml', withFault('{at: 0s, fault: node-drain, nodeOf: {namespace: kube-system, selector: k8s-app=kube-dns}}', ', namespaces: [kube-system]'));
      const { plan } = loadPlan(file, {});
      // the same plan without its allowlist, as the run would see a plan validated elsewhere
      const bare = { ...plan, cluster: { ...plan.cluster, namespaces: undefined } } as unknown as Plan;
      expect(() => checkNamespaces(plan, plan.cases, 'default')).not.to.throw();
      expect(() => checkNamespaces(bare, bare.cases, 'default')).to.throw(UsageError, /^the plan may act on kube-system, kube-public, kube-node-lease only when cluster.namespaces lists them; refused:\n {2}\S*\/p\.yaml:9:17 LOG-01\/node-drain-1: node-drain in namespace kube-system$/);
    });
  });

  describe('file limits', () => {
    it('refuses a file over the limit before reading it, and one at the limit is read', async () => {
      const big = await write('big.yaml', Buffer.alloc(MAX_FILE_BYTES + 1, 0x20));
      expect(readPlanFile(big, 'plan file')).to.have.nested.property('problem.message').that.matches(/is 5\.0 MiB: crt reads files of at most 5 MiB$/);
      const fits = await write('fits.yaml', Buffer.alloc(MAX_FILE_BYTES, 0x20));
      expect(readPlanFile(fits, 'plan file')).to.have.property('text').with.length(MAX_FILE_BYTES);
    });

    it('refuses a device without reading from it', () => {
      expect(readPlanFile('/dev/zero', 'scenario file')).to.deep.equal({ problem: { message: 'scenario file /dev/zero is not a regular file', hint: 'crt reads plans, scenarios and chaos files from ordinary files' } });
    });

    it('measures the expanded size of shared values, stopping at the limit', () => {
      const chunk = 'x'.repeat(1000);
      const shared = [chunk, chunk, chunk];
      const doc = { a: Array.from({ length: 1000 }, () => shared) };
      expect(exceedsSize(doc, 2_000_000)).to.equal(true);
      expect(exceedsSize(doc, 4_000_000)).to.equal(false);
    });

    it('refuses a plan whose cases inline one big scenario many times', async () => {
      await write('scen.yaml', `connections: 1\nduration: 1s\nbody: "${'x'.repeat(3 * 1024 * 1024)}"\n`);
      const cases = Array.from({ length: 8 }, (_, i) => `    - {id: LOG-${i}, title: a, objective: b, load: {target: gw, scenario: scen.yaml}}\n`).join('');
      const file = await write('p.yaml', `apiVersion: crt/v1\nmetadata: {name: p}\ntargets: {gw: {url: "http://127.0.0.1:1"}}\nlayers:\n  logical:\n${cases}`);
      expect(problemsOf(file)).to.deep.equal(['5:3 layers: the cases expand to more than 20 MiB with their scenario and chaos files inlined']);
    });

    it('locates the first byte that is not UTF-8', async () => {
      const file = await write('l1.yaml', Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9, 0x0a])]));
      const read = readPlanFile(file, 'plan file');
      expect(read).to.have.nested.property('problem.line', 2);
      expect(read).to.have.nested.property('problem.col', 7);
    });
  });
});
