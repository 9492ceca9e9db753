import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { FaultError, builtinFaults, createFault, faultDefinition, type FaultContext } from '../../../src/faults/index.js';
import { FAULT_KINDS, FAULT_NAMESPACE_RULES } from '../../../src/plan/index.js';
import { action } from '../../helpers/action.js';

const ctx: FaultContext = { runId: 'r', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.' };

describe('the typed fault registry', () => {
  it('has every kind of the plan format, each declaring the namespace rule the plan checks with', () => {
    expect(Object.keys(builtinFaults).sort()).to.deep.equal([...FAULT_KINDS].sort());
    for (const kind of FAULT_KINDS) expect(builtinFaults[kind].namespaceRule, kind).to.equal(FAULT_NAMESPACE_RULES[kind]);
  });

  it('types each kind\'s params from the schema: a wrong parameter does not compile', () => {
    // @ts-expect-error replicas is an integer in the schema, not a string
    const wrongType = action('scale', { workload: 'deployment/web', replicas: 'three' });
    // @ts-expect-error switch has no count
    const unknownKey = action('switch', { service: 'web', selector: { app: 'web' }, count: 1 });
    // @ts-expect-error exec needs its command
    const missing = action('exec', { timeout: '5s' });
    // @ts-expect-error pod-kill's definition takes pod-kill steps only
    builtinFaults['pod-kill'].create(action('scale', { workload: 'deployment/web', replicas: 1 }));
    expect([wrongType.kind, unknownKey.kind, missing.kind]).to.deep.equal(['scale', 'switch', 'exec']);
  });

  it('createFault builds the fault of the step\'s own kind', async () => {
    const plan = await createFault(action('manual', { instruction: 'pull the plug' })).plan(ctx);
    expect(plan.summary).to.equal('manual: pull the plug');
    const err = await createFault(action('scale', { workload: 'deployment/web', replicas: 1 })).plan(ctx).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.match(/scale needs a cluster/);
  });

  it('finds a kind named at run time (a journal record), and no kind this build lacks, nor an Object property', () => {
    expect(faultDefinition('rollout')).to.equal(builtinFaults.rollout);
    expect(faultDefinition('teleport')).to.equal(undefined);
    expect(faultDefinition('toString')).to.equal(undefined);
  });
});
