import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { leftoverPodProcesses } from '../../../src/localcluster/index.js';
import { runPlanFile } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const shipped = fileURLToPath(new URL('../../../../test-plans/sessions.yaml', import.meta.url));

describe('session cases of test-plans/sessions.yaml on the embedded cluster', function () {
  this.timeout(300_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('a rolling update keeps every WebSocket session with preStop, and drops them without it', async () => {
    const { result } = await runPlanFile(shipped, tmp.dir, { only: ['SES-01', 'SES-02'] });
    const [withPreStop, without] = result.cases;
    const whole = (c: typeof withPreStop) => c?.phases.find((p) => p.name === 'whole')?.stats;
    const detail = JSON.stringify(result.cases.map((c) => ({ id: c.id, expectations: c.expectations, sessions: whole(c)?.sessions })), null, 1);
    expect(withPreStop?.id).to.equal('SES-01');
    expect(withPreStop?.verdict, detail).to.equal('passed');
    // every pod of the Deployment was replaced: each of the 30 sessions was asked to move at least once
    expect(whole(withPreStop)?.sessions?.asked, detail).to.be.at.least(30);
    expect(whole(withPreStop)?.sessions?.reconnects, detail).to.be.at.least(30);
    expect(without?.id).to.equal('SES-02');
    expect(without?.verdict, detail).to.equal('failed');
    expect(whole(without)?.sessions?.dropped, detail).to.be.at.least(30);
    expect(whole(without)?.sessions?.asked, detail).to.equal(0);
    const failed = without?.expectations.filter((e) => e.verdict === 'failed').map((e) => e.metric);
    expect(failed, detail).to.include('sessionsDropped');
    expect(leftoverPodProcesses(path.join(tmp.dir, 'cluster'))).to.deep.equal([]);
  });
});
