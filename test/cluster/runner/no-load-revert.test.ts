import { expect } from 'chai';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

describe('a case without load whose fault is reverted only at the end of the case', function () {
  // the case's own timeout is 10 min: a case waiting for the revert that only its end makes would time out here
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('ends once the fault is injected, then reverts it', async () => {
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: no-load-revert}
layers:
  logical:
    - id: HOLD
      title: a fault reverted at the end of the case
      objective: the case ends
      trigger:
        - {at: 0s, name: hold, fault: exec, command: "true", revertCommand: "true"}
        - {at: 0s, name: timed, fault: exec, command: "true", revertCommand: "true", revertAfter: 1s}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    const c = result.cases[0]!;
    expect(c.verdict, c.reason).to.equal('passed');
    expect(c.events.filter((e) => e.kind === 'revert').map((e) => `${e.name} ${String(e.ok)}`).sort()).to.deep.equal(['hold true', 'timed true']);
    // the timed revert was waited for: it happened before the end-of-case revert
    const order = c.events.filter((e) => e.kind === 'revert').map((e) => e.name);
    expect(order).to.deep.equal(['timed', 'hold']);
  });
});
