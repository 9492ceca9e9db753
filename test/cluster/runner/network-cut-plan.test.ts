import { expect } from 'chai';
import { demoManifestPath } from '../../../src/localcluster/index.js';
import type { CaseResult } from '../../../src/results/types.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const phase = (c: CaseResult, name: string) => c.phases.find((p) => p.name === name)?.stats;

function plan(settings: string, cases: string): string {
  return `
apiVersion: crt/v1
kind: Plan
metadata: {name: network-cut}
cluster:
  local: {nodes: 2, manifests: [${JSON.stringify(demoManifestPath)}], settings: {${settings}}}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
${cases}`;
}

// Builtin control plane: it also proves the inconclusive verdict of a cut the cluster does not enforce
// (networkPolicyEnforced: false, which only builtin can turn off). The same cuts on the real control plane,
// enforced by nftables in the node namespaces, run in test/integration/real-cluster/network-cut-plan.test.ts,
// and the cni profiles there in network-policy.test.ts.
describe('network-cut in a plan on the embedded cluster, under load through the gateway', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('cuts gateway → customer-service: requests fail while the policy is in place, and succeed again after its revert', async () => {
    // a CNI that resets the flows a new policy denies: the gateway's open connections to customer-service
    // are cut too (under the default cni: keep, as Calico and Antrea, they would go on serving)
    const file = await writePlan(tmp.dir, plan('cni: reset', `
    - id: LOG-CUT
      title: link gateway → customer-service cut
      objective: the gateway's calls to customer-service fail while the link is down, and recover
      load: {target: gw, method: GET, path: /customers/3, rate: 20, connections: 80, duration: 14s, timeout: 3s}
      trigger:
        - {at: 2s, fault: network-cut, name: cut, namespace: demo, from: app=gateway, to: app=customer-service, revertAfter: 3s}
      recovery: {stableFor: 3s}
      expect:
        baseline: {errorRate: 0%}
    - id: LOG-ISOLATE
      title: customer-service isolated
      objective: every request through the gateway fails while customer-service is isolated
      load: {target: gw, method: GET, path: /customers/4, rate: 20, connections: 80, duration: 6s, timeout: 3s}
      trigger:
        - {at: 1s, fault: network-cut, namespace: demo, selector: app=customer-service, direction: ingress, forceReconnect: true, revertAfter: 2s}
`));
    const { result, events } = await runPlanFile(file, tmp.dir);
    const [cut, isolate] = result.cases as [CaseResult, CaseResult];

    const injected = cut.events.find((e) => e.kind === 'inject');
    expect(injected?.ok, injected?.detail).to.equal(true);
    expect(injected!.detail).to.match(/^cut app=gateway → app=customer-service in demo \(ingress policy\): NetworkPolicy crt-cut-cut-in-[0-9a-f]{6}/);
    expect(cut.verdict, cut.reason).to.equal('passed');
    expect(phase(cut, 'baseline')!.failed).to.equal(0);
    const counts = cut.phases.map((p) => `${p.name} ${p.startMs}-${p.endMs}: ${p.stats?.failed}/${p.stats?.requests}`).join(', ');
    expect(phase(cut, 'whole')!.failed, counts).to.be.greaterThan(40);
    expect(cut.recovery?.recoveryTimeMs, JSON.stringify(cut.recovery) + counts).to.be.a('number');
    expect(phase(cut, 'after')?.failed ?? 0, 'no failure once recovered').to.equal(0);
    expect(cut.events.find((e) => e.kind === 'revert')?.detail).to.match(/^deleted NetworkPolicy crt-cut-cut-in-/);

    expect(isolate.verdict, isolate.reason).to.equal('passed');
    expect(phase(isolate, 'whole')!.failed).to.be.greaterThan(5);
    expect(events.some((e) => e.kind === 'note' && /^the load opens new connections \(forceReconnect\)$/.test(e.detail ?? ''))).to.equal(true);
    // the run's own embedded cluster is leased too: held past its 15 s (renewed), released at the end
    expect(result.environment.clusterLease).to.deep.equal({ name: 'crt-run-lock', namespace: 'default', durationSec: 15, released: true });
  });

  it('marks the case inconclusive when the cluster does not enforce NetworkPolicy (the cut changed nothing)', async () => {
    const file = await writePlan(tmp.dir, plan('networkPolicyEnforced: false', `
    - id: LOG-CUT
      title: link gateway → customer-service cut, on a CNI without NetworkPolicy
      objective: the cut is detected as ineffective
      load: {target: gw, method: GET, path: /customers/3, rate: 20, duration: 5s, timeout: 3s}
      trigger:
        - {at: 1s, fault: network-cut, name: cut, namespace: demo, from: app=gateway, to: app=customer-service, revertAfter: 2s}
      expect:
        whole: {errorRate: 0%}
`));
    const { result } = await runPlanFile(file, tmp.dir);
    const [c] = result.cases as [CaseResult];
    expect(phase(c, 'whole')!.failed).to.equal(0);
    expect(c.verdict).to.equal('inconclusive');
    expect(c.reason, c.reason).to.match(/^network-cut cut had no observable effect: \d+ request\(s\) between [\d.]+s and [\d.]+s and none failed \(does the CNI enforce NetworkPolicy\?/);
  });
});
