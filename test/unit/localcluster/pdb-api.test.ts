import { expect } from 'chai';
import { builtinResources } from '../../../src/localcluster/api/resources.js';
import { toTable } from '../../../src/localcluster/api/tables.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { validateObject } from '../../../src/localcluster/api/validation.js';

const pdb = (spec: Record<string, unknown>): KObject => ({
  apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'demo' },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
});

describe('PodDisruptionBudget validation and table', () => {
  it('refuses a budget setting both minAvailable and maxUnavailable', () => {
    const causes = validateObject('policy/poddisruptionbudgets', pdb({ minAvailable: 1, maxUnavailable: 1 }));
    expect(causes.map((c) => [c.field, c.message.endsWith('minAvailable and maxUnavailable cannot be both set')])).to.deep.equal([['spec', true]]);
  });

  it('refuses a negative count, a percentage over 100% and a string that is no percentage', () => {
    const fields = (spec: Record<string, unknown>): string[] => validateObject('policy/poddisruptionbudgets', pdb(spec)).map((c) => `${c.field}: ${c.message}`);
    expect(fields({ minAvailable: -1 })).to.deep.equal(['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
    expect(fields({ maxUnavailable: '150%' })).to.deep.equal(['spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%']);
    expect(fields({ minAvailable: 'half' })).to.deep.equal(['spec.minAvailable: Invalid value: "half": must be an integer or percentage (e.g \'5%\')']);
    expect(fields({ minAvailable: '50%' })).to.deep.equal([]);
  });

  it('prints Min Available, Max Unavailable (N/A when unset) and Allowed Disruptions', () => {
    const obj = { ...pdb({ maxUnavailable: '25%' }), status: { disruptionsAllowed: 1 } };
    const table = toTable(builtinResources.find((r) => r.key === 'policy/poddisruptionbudgets')!, [obj], { nowMs: Date.now() });
    expect(table.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 4)).to.deep.equal(['web', 'N/A', '25%', 1]);
  });
});
