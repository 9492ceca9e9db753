import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { builtinReporters } from '../../../src/report/index.js';
import { CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir } from './helpers.js';

describe('report/index builtinReporters', () => {
  const tempDir = useTempDir();

  it('registers html, markdown and junit under their own names', () => {
    expect(Object.keys(builtinReporters)).to.deep.equal(['html', 'markdown', 'junit']);
    for (const [name, factory] of Object.entries(builtinReporters)) expect(factory().name).to.equal(name);
  });

  it('writes every file each reporter returns', async () => {
    for (const factory of Object.values(builtinReporters)) {
      const files = await factory().render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir: tempDir() });
      expect(files).to.have.length.greaterThan(0);
      for (const f of files) await access(join(tempDir(), f));
    }
  });
});
