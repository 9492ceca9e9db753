import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { htmlReporter, markdownReporter, pdfReporter } from '../../../src/report/index.js';
import { SUMMARY_LIMIT } from '../../../src/report/markdown-summary.js';
import { requireChromium } from '../../helpers/chromium.js';
import { tempDir } from '../../helpers/tmp.js';
import { acceptanceRun } from '../../unit/report/acceptance-fixture.js';

const run = promisify(execFile);
const POPPLER_MISSING = 'no pdftotext/pdfinfo on PATH (apt-get install poppler-utils)';

/** pdftotext's text of the PDF (or of one page), reading order. */
async function pdfText(file: string, page?: number): Promise<string> {
  const pages = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  return (await run('pdftotext', [...pages, file, '-'], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

async function pdfInfo(file: string): Promise<{ pages: number; size: string }> {
  const out = (await run('pdfinfo', [file])).stdout;
  return { pages: Number(/^Pages:\s+(\d+)/m.exec(out)?.[1]), size: /^Page size:\s+(.*)$/m.exec(out)?.[1] ?? '' };
}

const squeeze = (s: string): string => s.replace(/\s+/g, '');

/** Every table (and its scrolling wrapper) wider than the box it is laid out in, as `section/class sw>cw`. */
const CLIPPED = `(() => [...document.querySelectorAll('table')].flatMap((t) => {
  const box = t.closest('.scroll') ?? t.parentElement;
  const where = (t.closest('section[id]')?.id ?? '?') + '/' + t.className;
  const out = [];
  if (t.scrollWidth > t.clientWidth + 1) out.push(where + ' table ' + t.scrollWidth + '>' + t.clientWidth);
  if (box.scrollWidth > box.clientWidth + 1) out.push(where + ' box ' + box.scrollWidth + '>' + box.clientWidth);
  if (t.getBoundingClientRect().right > document.documentElement.clientWidth + 1) out.push(where + ' past the page');
  return out;
}))()`;

/**
 * The report as its readers meet it, on the run of every case of the demo-acceptance plan with one
 * case failed and two regressions (test/unit/report/acceptance-fixture.ts): report.html in headless
 * Chromium on a desktop (1400 px) and a phone (400 px), report.pdf as pdftotext reads it, summary.md
 * as pasted. No cluster: the figures are made, the layout is what is under test.
 */
describe('the reports as a reader meets them: report.html at 1400 and 400 px, report.pdf, summary.md', function () {
  this.timeout(180_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let browser: Browser | null = null;
  let page: Page;
  const { run: result, timeseries } = acceptanceRun();

  before(async function () {
    const executablePath = await requireChromium(this);
    const poppler = await run('pdftotext', ['-v']).then(() => true, () => false);
    if (!poppler) {
      if (process.env.CRT_REQUIRE_CHROMIUM === '1') throw new Error(`${POPPLER_MISSING}; CRT_REQUIRE_CHROMIUM=1 requires it`);
      console.log(`      skipped: ${POPPLER_MISSING}`);
      this.skip();
    }
    tmp = await tempDir();
    const input = { run: result, timeseries, cluster: [], dir: tmp.dir };
    for (const reporter of [htmlReporter({ env: {} }), markdownReporter({ env: {} }), pdfReporter({ env: { PATH: path.dirname(executablePath), CRT_CHROMIUM: executablePath } })]) await reporter.render(input);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(path.join(tmp.dir, 'report.html')).href);
  });

  after(async () => {
    await browser?.close();
    await tmp?.remove();
  });

  it('shows on the first screen at 1400 px the outcome with its exit code, then the failed case first in the case table', async () => {
    const banner = page.locator('.outcome');
    expect(await banner.locator('.outcome-headline').innerText()).to.equal(`FAILED (exit 1) — ${result.cases.length - 1}/${result.cases.length} cases passed, 1 failed, 2 regressions against demo-acceptance-2026-12-06-1500`);
    expect(await banner.getAttribute('data-exit-code')).to.equal('1');
    const first = page.locator('table.overview tbody tr').first();
    expect((await first.boundingBox())!.y + 30, 'the first case row is above the fold').to.be.below(900);
    expect(await first.locator('td').first().innerText()).to.equal('LOG-02');
    expect(await first.locator('.badge').innerText()).to.equal('failed');
    expect(await page.locator('table.overview tbody tr').count()).to.equal(result.cases.length);
  });

  for (const width of [1400, 400]) {
    it(`clips no table at ${width} px: every table fits its box, and the page has no horizontal scroll`, async () => {
      await page.setViewportSize({ width, height: 900 });
      expect(await page.locator('table').count()).to.be.greaterThan(50);
      expect(await page.evaluate<string[]>(CLIPPED)).to.deep.equal([]);
      expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).to.equal(true);
    });
  }

  it('stacks a data table\'s rows on a phone, each cell labelled with its column', async () => {
    await page.setViewportSize({ width: 400, height: 900 });
    const label = await page.evaluate<string>(`getComputedStyle(document.querySelector('table.overview tbody tr td:nth-child(5)'), '::before').content`);
    expect(label).to.equal('"fault error rate"');
    const [a, b] = await Promise.all([0, 1].map((i) => page.locator('table.overview tbody tr').first().locator('td').nth(i).boundingBox()));
    expect(b!.y, 'the second cell under the first').to.be.greaterThan(a!.y + a!.height - 1);
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('prints on A4, every page headed by the run and its outcome and footed "page X of Y"', async () => {
    const pdf = path.join(tmp.dir, 'report.pdf');
    const info = await pdfInfo(pdf);
    expect(info.size).to.match(/^594\.96 x 841\.92 pts \(A4\)/);
    for (const n of [1, Math.ceil(info.pages / 2), info.pages]) {
      const text = await pdfText(pdf, n);
      expect(text, `page ${n}`).to.include(`crt ${result.runId}`);
      expect(text, `page ${n}`).to.include('FAILED (exit 1)');
      expect(text, `page ${n}`).to.include(`page ${n} of ${info.pages}`);
    }
    // the run-level sections (outcome, regressions, trend, traceability, sign-off) are a few pages whatever the plan's size
    expect(info.pages, 'at most 3 pages a case and 6 for the run, the first pages and the appendix included').to.be.at.most(3 * result.cases.length + 6);
  });

  it('prints every column header of every table, and every REGRESSED row', async () => {
    const text = squeeze(await pdfText(path.join(tmp.dir, 'report.pdf')));
    // the tables a reader sees on paper: rows folded in a closed <details> (the regressions that held) print folded
    // DOM elements inside the page, typed by hand (this project compiles without the DOM lib)
    type Th = { closest(selector: string): unknown; innerText: string };
    const shown = await page.locator('table thead th').evaluateAll((ths) => (ths as unknown as Th[]).filter((th) => !th.closest('details:not([open])')).map((th) => th.innerText));
    const headers = [...new Set(shown)].filter((h) => h.trim() !== '');
    expect(headers).to.include.members(['phase', 'p95', 'p99', 'max', 'measured', 'verdict', 'fault error rate', 'cluster recovery']);
    expect(headers.filter((h) => !text.includes(squeeze(h)))).to.deep.equal([]);
    const regressed = await page.locator('tr.regressed').count();
    expect(regressed).to.equal(2);
    expect(text.match(/REGRESSED/g)).to.have.length(regressed);
  });

  it('keeps every heading on the page of what follows it', async () => {
    const pdf = path.join(tmp.dir, 'report.pdf');
    const headings = new Set((await page.locator('h2, h3, h4, h5').allInnerTexts()).map((h) => h.trim()));
    const { pages } = await pdfInfo(pdf);
    const orphans: string[] = [];
    for (let n = 1; n <= pages; n++) {
      // the page's lines without the margin boxes (run, outcome, plan title, page X of Y)
      const lines = (await pdfText(pdf, n)).split('\n').map((l) => l.trim()).filter((l) => l && !/^page \d+ of \d+$/.test(l) && l !== result.plan.title && !l.startsWith('crt ') && !l.startsWith('FAILED (exit'));
      const last = lines[lines.length - 1] ?? '';
      if (headings.has(last)) orphans.push(`page ${n}: ${last}`);
    }
    expect(orphans).to.deep.equal([]);
  });

  it('prints on Letter with CRT_PAPER=letter', async () => {
    const dir = path.join(tmp.dir, 'letter');
    const input = { run: result, timeseries, cluster: [], dir };
    await htmlReporter({ env: { CRT_PAPER: 'letter' } }).render(input);
    const executablePath = await requireChromium(this.ctx);
    await pdfReporter({ env: { CRT_CHROMIUM: executablePath } }).render(input);
    expect((await pdfInfo(path.join(dir, 'report.pdf'))).size).to.match(/^612 x 792 pts \(letter\)/);
  });

  it('writes a summary.md under its limit, with the failed case, the two regressions and a PNG per chart', async () => {
    const md = await readFile(path.join(tmp.dir, 'summary.md'), 'utf8');
    expect(md.length).to.be.below(SUMMARY_LIMIT);
    expect(md).to.include(`**FAILED** (exit 1) — ${result.cases.length - 1}/${result.cases.length} cases passed, 1 failed, 2 regressions`);
    expect(md.match(/\| REGRESSED \|/g)).to.have.length(2);
    for (const [, file] of md.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.png)\)/g)) {
      const png = await readFile(path.join(tmp.dir, file!));
      expect(png.subarray(1, 4).toString('latin1'), file).to.equal('PNG');
    }
    expect(md.match(/!\[[^\]]*\]\(charts\/[^)]+\.png\)/g)).to.have.length(result.cases.length);
  });
});
