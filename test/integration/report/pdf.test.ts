import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { NO_CHROMIUM, findChromium, htmlReporter, pdfReporter } from '../../../src/report/index.js';
import { renderAll } from '../../../src/report/render-all.js';
import { requireChromium } from '../../helpers/chromium.js';
import { CLUSTER, TIMESERIES, fixtureRun } from '../../unit/report/fixture.js';

describe('report/pdf', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'crt-pdf-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  const input = () => ({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir });

  it('finds CRT_CHROMIUM first, then chromium, chromium-browser, google-chrome on PATH, and nothing on an empty PATH', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    const fake = async (name: string) => {
      await writeFile(path.join(bin, name), '#!/bin/sh\nexit 0\n');
      await chmod(path.join(bin, name), 0o755);
    };
    expect(await findChromium({ PATH: bin })).to.equal(null);
    await fake('google-chrome');
    expect(await findChromium({ PATH: bin })).to.equal(path.join(bin, 'google-chrome'));
    await fake('chromium-browser');
    expect(await findChromium({ PATH: bin })).to.equal(path.join(bin, 'chromium-browser'));
    await fake('my-chrome');
    expect(await findChromium({ PATH: bin, CRT_CHROMIUM: 'my-chrome' })).to.equal(path.join(bin, 'my-chrome'));
    const err = await findChromium({ PATH: bin, CRT_CHROMIUM: '/nowhere/chrome' }).then(() => null, (e: Error) => e);
    expect(err?.message).to.equal('CRT_CHROMIUM=/nowhere/chrome is not an executable file; unset it to look for chromium, chromium-browser, google-chrome on PATH');
  });

  it('is skipped, not failed, without a Chromium: the status says why and how to get one', async () => {
    const statuses = await renderAll(input(), { html: htmlReporter, pdf: () => pdfReporter({ env: { PATH: '' } }) }, silentLogger);
    expect(statuses[1]).to.deep.equal({ name: 'pdf', ok: true, files: [], skipped: NO_CHROMIUM });
    expect(NO_CHROMIUM).to.equal('skipped: no Chromium (apt-get install chromium)');
  });

  it('fails with the reason when there is no report.html to print', async function () {
    await requireChromium(this);
    const statuses = await renderAll(input(), { pdf: pdfReporter }, silentLogger);
    expect(statuses[0]).to.include({ name: 'pdf', ok: false });
    expect(statuses[0]?.error).to.match(/report\.html was not written/);
  });

  it('leaves the previous report.pdf whole when Chromium writes a torn file', async () => {
    const chromium = path.join(dir, 'torn-chrome');
    // writes half a PDF where --print-to-pdf says, then fails, as a Chromium killed mid-print would
    await writeFile(chromium, '#!/bin/sh\nfor a in "$@"; do case "$a" in --print-to-pdf=*) printf "%%PDF-1.4 torn" > "${a#--print-to-pdf=}";; esac; done\nexit 1\n');
    await chmod(chromium, 0o755);
    await writeFile(path.join(dir, 'report.pdf'), '%PDF-1.7 the previous report');
    const statuses = await renderAll(input(), { html: htmlReporter, pdf: () => pdfReporter({ env: { PATH: '', CRT_CHROMIUM: chromium } }) }, silentLogger);
    expect(statuses[1]).to.include({ name: 'pdf', ok: false });
    expect(statuses[1]?.error).to.match(/could not print report\.html/);
    expect(await readFile(path.join(dir, 'report.pdf'), 'utf8')).to.equal('%PDF-1.7 the previous report');
  });

  it('prints report.html to a PDF of several pages with headless Chromium', async function () {
    await requireChromium(this);
    const statuses = await renderAll(input(), { html: htmlReporter, pdf: pdfReporter }, silentLogger);
    expect(statuses[1]).to.deep.equal({ name: 'pdf', ok: true, files: ['report.pdf'] });
    const pdf = await readFile(path.join(dir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
    expect(pages).to.be.greaterThan(1);
  });
});
