import { expect } from 'chai';
import { UsageError } from '../../../src/core/index.js';
import { defaultControlPlane } from '../../../src/vocabulary/index.js';

describe('the default control plane of an embedded cluster', () => {
  it('is auto when CRT_CONTROL_PLANE is unset or empty', () => {
    expect(defaultControlPlane({})).to.equal('auto');
    expect(defaultControlPlane({ CRT_CONTROL_PLANE: '' })).to.equal('auto');
  });

  it('is CRT_CONTROL_PLANE when it names one', () => {
    expect(defaultControlPlane({ CRT_CONTROL_PLANE: 'builtin' })).to.equal('builtin');
    expect(defaultControlPlane({ CRT_CONTROL_PLANE: 'kubernetes' })).to.equal('kubernetes');
    expect(defaultControlPlane({ CRT_CONTROL_PLANE: 'auto' })).to.equal('auto');
  });

  it('refuses any other value with the three it takes', () => {
    expect(() => defaultControlPlane({ CRT_CONTROL_PLANE: 'real' })).to.throw(UsageError, 'CRT_CONTROL_PLANE=real: not a control plane')
      .with.property('hint', 'one of builtin, kubernetes, auto, or unset for auto');
  });
});
