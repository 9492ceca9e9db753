import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { loadPlan, type CaseSpec } from '../../../src/plan/index.js';
import { plannedDurationMs } from '../../../src/plan/normalize-load.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const load = (name: string) => loadPlan(path.join(ROOT, 'test-plans', name), {}).plan;
const kinds = (c: CaseSpec) => c.trigger.map((a) => a.kind);

/**
 * The shipped acceptance CRT covers every reference scenario issue #7 lists (the cases run for
 * real in the acceptance run; here the plan is checked to hold what it claims), and the nightly
 * plan is its unattended subset within the nightly budget.
 */
describe('the shipped acceptance plan (test-plans/demo-acceptance.yaml) and its nightly subset', () => {
  const plan = load('demo-acceptance.yaml');
  const byId = (id: string): CaseSpec => {
    const c = plan.cases.find((x) => x.id === id);
    if (!c) throw new Error(`no case ${id}`);
    return c;
  };

  it('gives every case the five CRT fields: title, objective, general conditions, triggering actions or load, expected behaviour', () => {
    for (const c of plan.cases) {
      expect(c.title, c.id).to.be.a('string').that.is.not.empty;
      expect(c.objective.length, c.id).to.be.greaterThan(40);
      if (c.id !== 'PHY-04') expect(c.conditions, c.id).to.not.be.empty;
      // a pure check (AUX-03) has no triggering action: its expected behaviour is its probes
      expect(c.trigger.length > 0 || c.load !== null || c.expect.probes.length > 0, c.id).to.equal(true);
      const e = c.expect;
      expect(e.phases.length + e.recoveryTime.length + e.clusterRecoveryTime.length + e.probes.length, c.id).to.be.greaterThan(0);
    }
  });

  it('has the physical scenarios: node loss with production timings (≤ 150 s) and with fast detection, a node link lost, a manual switch step', () => {
    expect(plan.cluster?.local?.settings).to.include({ nodeMonitorGracePeriod: '40s', heartbeat: '10s' });
    const phy01 = byId('PHY-01');
    expect(kinds(phy01)).to.deep.equal(['node-loss']);
    expect(phy01.expect.recoveryTime.map((b) => b.value)).to.deep.equal([150_000]);
    expect(phy01.expect.clusterRecoveryTime.map((b) => b.value)).to.deep.equal([150_000]);
    expect(byId('PHY-02').clusterSettings?.values).to.include({ nodeMonitorGracePeriodMs: 2000 });
    expect(byId('PHY-03').trigger[0]?.params).to.include({ mode: 'link' });
    expect(kinds(byId('PHY-04'))).to.deep.equal(['manual', 'manual']);
  });

  it('has the logical scenarios: pod kills, every replica killed, a drain with PDBs, a verified cut, rollouts, a canary by x-version, the store primary lost', () => {
    expect(kinds(byId('LOG-01'))).to.deep.equal(['pod-kill', 'pod-kill']);
    expect(byId('LOG-02').trigger[0]?.params).to.include({ all: true });
    expect(kinds(byId('LOG-03'))).to.deep.equal(['node-drain']);
    expect(byId('LOG-03').conditions.map((p) => p.kind)).to.include('pdb-exists');
    expect(byId('LOG-03').expect.phases.map((e) => [e.phase, e.metric, e.value])).to.deep.equal([['whole', 'errorRate', 0]]);
    expect(byId('LOG-04').trigger[0]?.params).to.include({ from: 'app=gateway', to: 'app=customer-service' });
    expect(byId('LOG-05').trigger[0]?.params).to.include({ action: 'image' });
    expect(byId('LOG-06').trigger[0]?.params).to.deep.include({ env: { WARMUP_MS: '4000' } });
    expect(byId('LOG-07').load?.servedBy).to.equal('x-version');
    expect(byId('LOG-07').expect.phases.find((e) => e.metric === 'servedBy')).to.include({ servedByValue: '1.1' });
    expect(byId('LOG-08').trigger[0]?.params).to.include({ selector: 'app=store' });
  });

  it('has the load study: c=5, 10, 40 and 5 generators × 40, with the HPA off and on', () => {
    const study = plan.cases.filter((c) => c.study?.name === 'load-study');
    const steps = (variant: string) => study.filter((c) => c.study?.variant === variant).flatMap((c) => c.study?.steps.map((s) => s.name) ?? []);
    expect(steps('HPA off')).to.deep.equal(['c=5', 'c=10', 'c=40', '5×40']);
    expect(steps('HPA on')).to.deep.equal(['c=5', 'c=10', 'c=40', '5×40']);
    expect(byId('LOG-11').load).to.include({ generators: 5 });
  });

  it('has the auxiliary scenarios: a recent backup, a restore drill with a read-back, monitoring', () => {
    expect(byId('AUX-01').expect.probes.map((p) => p.name)).to.include('backup-recent-with-votes');
    expect(byId('AUX-02').trigger[0]?.params).to.include({ command: 'node demo/store-drill.mjs destroy', revertCommand: 'node demo/store-drill.mjs restore' });
    expect(byId('AUX-02').expect.probes.map((p) => p.name)).to.deep.equal(['read-back']);
    expect(byId('AUX-03').layer).to.equal('auxiliary');
  });

  it('has the update strategies and the zone outage: a blue/green switch and back, a recreate outage bounded, a zone lost under a maxPercent guard', () => {
    const bg = byId('LOG-14');
    expect(bg.layer).to.equal('logical');
    const sw = bg.trigger.find((a) => a.kind === 'switch')!;
    expect(sw.params).to.deep.include({ namespace: 'demo', service: 'gateway-live', selector: { app: 'gateway', track: 'canary' } });
    expect(sw.revertAfterMs).to.equal(15_000);
    expect(bg.load?.target).to.equal('gateway-live');
    const recreate = byId('LOG-15').trigger.find((a) => a.kind === 'rollout')!;
    expect(recreate.params).to.deep.include({ deployment: 'customer-service', strategy: 'recreate' });
    const zone = byId('PHY-05');
    expect(zone.layer).to.equal('physical');
    expect(zone.trigger[0]!.params).to.deep.include({ zone: 'zone-b', maxPercent: '34%' });
    expect(zone.tags).to.not.include('nightly');
    const nightly = load('nightly.yaml').cases.map((c) => c.id);
    expect(nightly).to.include.members(['LOG-14', 'LOG-15']);
  });

  it('nightly.yaml runs the unattended cases only, planned in well under 15 minutes', () => {
    const nightly = load('nightly.yaml');
    expect(nightly.name).to.equal('nightly');
    expect(nightly.file).to.equal(plan.file);
    for (const c of nightly.cases) expect(kinds(c), c.id).to.not.include('manual');
    expect(nightly.cases.map((c) => c.id)).to.not.include.members(['PHY-01', 'PHY-03', 'PHY-04']);
    const planned = nightly.cases.reduce((sum, c) => sum + (plannedDurationMs(c.load, c.trigger) ?? 0), 0);
    // the conditions, the cluster start and the reverts come on top: about 3 minutes measured
    expect(planned).to.be.below(11 * 60_000);
  });
});
