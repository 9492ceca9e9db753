import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { UnsupportedError } from '../../../src/core/errors.js';
import { loadPlan } from '../../../src/plan/index.js';
import { checkSupported } from '../../../src/runner/index.js';
import { engineFor } from '../../../src/runner/engines.js';
import { SessionEngine } from '../../../src/sessions/index.js';

const shipped = fileURLToPath(new URL('../../../../test-plans/sessions.yaml', import.meta.url));

describe('engine sessions in the runner', () => {
  it('accepts every case of the shipped sessions plan before the run, and builds the session engine for them', () => {
    const { plan } = loadPlan(shipped, {});
    expect(plan.cases.map((c) => c.id)).to.deep.equal(['SES-01', 'SES-02', 'SES-03', 'SES-04']);
    expect(() => checkSupported(plan, plan.cases)).to.not.throw();
    for (const c of plan.cases) expect(engineFor(c.load!, { runId: 'r' })).to.be.instanceOf(SessionEngine);
  });

  it('still refuses an engine this build does not have', () => {
    const { plan } = loadPlan(shipped, {});
    const c = plan.cases[0]!;
    const odd = { ...c, load: { ...c.load!, engine: 'gatling' as never } };
    expect(() => checkSupported(plan, [odd])).to.throw(UnsupportedError, /engine gatling/);
  });
});
