import { expect } from 'chai';
import { demoManifestPath } from '../../../src/localcluster/index.js';
import type { CaseResult } from '../../../src/results/types.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

const whole = (c: CaseResult) => c.phases.find((p) => p.name === 'whole')?.stats;
const inject = (c: CaseResult) => c.events.find((e) => e.kind === 'inject');

for (const cp of controlPlanes()) {
  describe(`pod-kill and rollout faults in a plan on the embedded cluster, under load through the gateway Service (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 90_000));
    before(async function () {
      await requireControlPlane(this, cp);
    });
    let tmp: Awaited<ReturnType<typeof tempDir>>;

    beforeEach(async () => (tmp = await tempDir()));
    afterEach(async () => tmp.remove());

    it('kills one gateway pod and rolls the gateway out again, with every request answered during the restart', async () => {
      const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: kube-faults}
cluster:
  local: {controlPlane: ${cp}, nodes: 3, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-01
      title: one gateway pod killed under load
      objective: a replacement takes over
      load: {target: gw, method: GET, path: /customers/3, rate: 40, duration: 6s}
      trigger:
        - {at: 1s, fault: pod-kill, namespace: demo, selector: app=gateway, count: 1, pick: random, seed: 11}
    - id: LOG-02
      title: rolling restart of the gateway under load
      objective: no request fails while every gateway pod is replaced
      load: {target: gw, method: GET, path: /customers/4, rate: 40, duration: 12s}
      trigger:
        - {at: 1s, fault: rollout, namespace: demo, deployment: gateway, action: restart, timeout: 40s}
      expect:
        whole: {errorRate: 0%}
`);
      const { result } = await runPlanFile(file, tmp.dir);
      const [kill, restart] = result.cases as [CaseResult, CaseResult];

      const killed = inject(kill);
      expect(killed?.ok, killed?.detail).to.equal(true);
      const data = killed!.data as { seed: number; killed: { pod: string }[]; replacementsReadyAfterMs: number | null };
      expect(data.seed).to.equal(11);
      expect(data.killed).to.have.length(1);
      expect(data.replacementsReadyAfterMs).to.be.a('number');
      expect(kill.verdict, kill.reason).to.equal('passed');

      const rolled = inject(restart);
      expect(rolled?.ok, rolled?.detail).to.equal(true);
      expect(rolled!.detail).to.match(/restart \(kubectl.kubernetes.io\/restartedAt: .*\): rolled out in/);
      expect(restart.verdict, JSON.stringify(restart.expectations)).to.equal('passed');
      const stats = whole(restart)!;
      expect(stats.requests).to.be.greaterThan(300);
      expect(stats.failed).to.equal(0);
      // the rollout was reverted at the end of the case (undo to the template before the restart)
      expect(restart.events.find((e) => e.kind === 'revert')?.ok).to.equal(true);
    });
  });
}
