#!/usr/bin/env node
// `npm run screenshots:report` (after `npm run build`): the screenshots of the report in docs/getting-started.md, regenerated.
// Renders report.html of the demo-acceptance sample run (every case of test-plans/demo-acceptance.yaml,
// one failed on purpose, two regressions: test/unit/report/acceptance-fixture.ts), or of the run folder
// given as the first argument, in headless Chromium (the one crt prints the PDF with: CRT_CHROMIUM, else
// chromium on PATH), and writes docs/screenshots/report-first-screen.png (the first screen at 1400 px)
// and docs/screenshots/report-case.png (the failed case, from its heading through its chart).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { findChromium, htmlReporter } = await import(pathToFileURL(path.join(root, 'dist/src/report/index.js')).href);
const out = path.join(root, 'docs/screenshots');
const given = process.argv[2];
let dir = given ? path.resolve(given) : await mkdtemp(path.join(tmpdir(), 'crt-screenshots-'));
if (!given) {
  const { acceptanceRun } = await import(pathToFileURL(path.join(root, 'dist/test/unit/report/acceptance-fixture.js')).href);
  const { run, timeseries } = acceptanceRun();
  await htmlReporter({ env: {} }).render({ run, timeseries, cluster: [], dir });
}
const executablePath = await findChromium(process.env);
if (!executablePath) throw new Error('no Chromium: apt-get install chromium, or set CRT_CHROMIUM');
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  await mkdir(out, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
  await page.screenshot({ path: path.join(out, 'report-first-screen.png') });
  // the first case in the case table is the one to read first (failed cases come first)
  const href = await page.locator('table.overview tbody tr a').first().getAttribute('href');
  const section = page.locator(`section${href}`);
  const top = await section.boundingBox();
  const chart = await section.locator('.chart').first().boundingBox();
  const bottom = chart ? chart.y + chart.height + 16 : top.y + Math.min(top.height, 1600);
  await page.screenshot({ path: path.join(out, 'report-case.png'), fullPage: true, clip: { x: top.x - 8, y: top.y - 8, width: top.width + 16, height: bottom - top.y + 8 } });
  process.stderr.write(`wrote ${path.relative(root, out)}/report-first-screen.png and report-case.png\n`);
} finally {
  await browser.close();
  if (!given) await rm(dir, { recursive: true, force: true });
}
