import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { openCluster } from '../../../src/runner/cluster-session.js';
import type { Plan } from '../../../src/plan/types.js';

/** A plan with only what openCluster reads before it starts anything: settings are checked first. */
const plan = (settings: Record<string, unknown>): Plan => ({ file: '/tmp/plan.yaml', display: 'plan.yaml', cluster: { local: { settings } } }) as unknown as Plan;
const open = (settings: Record<string, unknown>): Promise<unknown> => openCluster(plan(settings), '/tmp/run', silentLogger, new AbortController().signal, () => undefined);

describe('cluster.local.settings', () => {
  it('rejects a networkPolicyCutEstablished that is not a boolean, naming the setting', async () => {
    const err = await open({ networkPolicyCutEstablished: 'yes' }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('plan.yaml: cluster.local.settings.networkPolicyCutEstablished must be true or false, not "yes"');
  });

  it('lists the boolean settings in the hint for an unknown one', async () => {
    const err = await open({ cutEverything: true }).catch((e: unknown) => e);
    expect((err as { hint?: string }).hint).to.include('networkPolicyCutEstablished, networkPolicyEnforced (true or false)');
  });
});
