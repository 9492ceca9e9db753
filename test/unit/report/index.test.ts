import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { NO_CHROMIUM, ReporterSkipped, builtinReporters, findChromium } from '../../../src/report/index.js';
import { CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir } from './helpers.js';

describe('report/index builtinReporters', () => {
  const tempDir = useTempDir();

  it('registers html, markdown, junit and pdf (after html, whose file it prints) under their own names', () => {
    expect(Object.keys(builtinReporters)).to.deep.equal(['html', 'markdown', 'junit', 'pdf']);
    for (const [name, factory] of Object.entries(builtinReporters)) expect(factory().name).to.equal(name);
  });

  it('writes every file each reporter returns (pdf: or says it is skipped when there is no Chromium)', async () => {
    const chromium = await findChromium(process.env);
    for (const factory of Object.values(builtinReporters)) {
      const render = factory().render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir: tempDir() });
      if (factory().name === 'pdf' && !chromium) {
        const err = await render.then(() => null, (e: unknown) => e);
        expect(err).to.be.instanceOf(ReporterSkipped).and.to.have.property('why', NO_CHROMIUM);
        continue;
      }
      const files = await render;
      expect(files).to.have.length.greaterThan(0);
      for (const f of files) await access(join(tempDir(), f));
    }
  });
});
