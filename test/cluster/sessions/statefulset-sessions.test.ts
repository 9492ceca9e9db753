import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { runPlanFile } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const shipped = fileURLToPath(new URL('../../../../test-plans/sessions-statefulset.yaml', import.meta.url));

describe('session cases of test-plans/sessions-statefulset.yaml: a StatefulSet\'s ordered update on the real control plane', function () {
  this.timeout(400_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  before(async function () {
    await requireRealControlPlane(this);
    tmp = await tempDir();
  });
  after(async () => tmp?.remove());

  it('the ordered update keeps every WebSocket session with preStop, drops them without it, and the revert rolls each StatefulSet back', async () => {
    const { result } = await runPlanFile(shipped, tmp.dir, {});
    const [withPreStop, without] = result.cases;
    const whole = (c: typeof withPreStop) => c?.phases.find((p) => p.name === 'whole')?.stats;
    const event = (c: typeof withPreStop, kind: string) => c?.events.find((e) => e.kind === kind && e.name === 'ordered-update');
    const step = (c: typeof withPreStop) => ({ inject: event(c, 'inject'), revert: event(c, 'revert') });
    const detail = JSON.stringify(result.cases.map((c) => ({ id: c.id, verdict: c.verdict, expectations: c.expectations, sessions: whole(c)?.sessions, step: step(c) })), null, 1);
    expect(withPreStop?.id).to.equal('SES-05');
    expect(withPreStop?.verdict, detail).to.equal('passed');
    // the three pods were replaced one by one: each of the 30 sessions was asked to move at least once
    expect(whole(withPreStop)?.sessions?.asked, detail).to.be.at.least(30);
    expect(whole(withPreStop)?.sessions?.dropped, detail).to.equal(0);
    expect(step(withPreStop).inject?.ok, detail).to.equal(true);
    expect(step(withPreStop).inject?.detail, detail).to.match(/statefulset chat-sts\/chat/);
    expect(step(withPreStop).revert?.ok, detail).to.equal(true);
    expect(step(without).revert?.ok, detail).to.equal(true);
    expect(without?.id).to.equal('SES-06');
    expect(without?.verdict, detail).to.equal('failed');
    expect(whole(without)?.sessions?.dropped, detail).to.be.at.least(30);
    expect(whole(without)?.sessions?.asked, detail).to.equal(0);
    expect(without?.expectations.filter((e) => e.verdict === 'failed').map((e) => e.metric), detail).to.include('sessionsDropped');
    expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
  });
});
