import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { silentLogger } from '../../../src/core/index.js';
import { demoManifestPath } from '../../../src/localcluster/index.js';
import { builtinReporters } from '../../../src/report/index.js';
import { renderAll } from '../../../src/report/render-all.js';
import { readRunFolder, writeRunJson } from '../../../src/results/run-folder.js';
import type { ReporterStatus } from '../../../src/results/types.js';
import { requireChromium } from '../../helpers/chromium.js';
import { runPlanFile, writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The report as a person sees it: a real run on the embedded cluster (a gateway pod killed under
 * load), its reports rendered from the run folder, report.html opened in headless Chromium
 * (driven by playwright-core, which downloads no browser: it drives the Chromium installed here).
 * A second case without fault makes the two a load study. The assertions read the laid-out page — what is visible, where and how wide — not the HTML text.
 */
describe('the HTML report in headless Chromium, after a real run with a pod killed on the embedded cluster', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let browser: Browser | null = null;
  let page: Page;
  let statuses: ReporterStatus[];

  before(async function () {
    const executablePath = await requireChromium(this);
    tmp = await tempDir();
    const file = await writePlan(tmp.dir, `
apiVersion: crt/v1
kind: Plan
metadata: {name: headless-report, system: demo shop, versions: {gateway: "1.0.0"}}
cluster:
  local: {nodes: 3, manifests: [${JSON.stringify(demoManifestPath)}]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-01
      title: one gateway pod killed under load
      objective: a replacement takes over without failed requests
      load: {target: gw, method: GET, path: /customers/3, rate: 30, duration: 6s}
      trigger:
        - {at: 2s, fault: pod-kill, name: kill-gateway, namespace: demo, selector: app=gateway, count: 1, pick: random, seed: 5}
      expect:
        whole: {errorRate: 5%}
      study: {name: load-study, variant: pod killed, step: 30 req/s}
    - id: LOG-02
      title: the same load, nothing killed
      objective: the reference of the load study
      conditions: [{probe: deployment-available, namespace: demo, deployment: gateway}]
      load: {target: gw, method: GET, path: /customers/3, rate: 30, duration: 3s}
      study: {name: load-study, variant: calm, step: 30 req/s}
`);
    const { result } = await runPlanFile(file, tmp.dir);
    await writeRunJson(tmp.dir, result);
    const folder = await readRunFolder(tmp.dir);
    statuses = await renderAll({ ...folder, dir: tmp.dir }, builtinReporters, silentLogger);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(path.join(tmp.dir, 'report.html')).href);
  });

  after(async () => {
    await browser?.close();
    await tmp?.remove();
  });

  it('re-renders the same bytes from the run folder (as crt report does), cluster timeline included', async () => {
    const files = ['report.html', 'report.md', 'junit.xml', 'charts/LOG-01.svg', 'charts/LOG-01-cluster.svg'];
    const read = () => Promise.all(files.map((f) => readFile(path.join(tmp.dir, f), 'utf8')));
    const before = await read();
    expect(before[0]).to.include('class="cluster-timeline"');
    await renderAll({ ...(await readRunFolder(tmp.dir)), dir: tmp.dir }, builtinReporters, silentLogger);
    expect(await read()).to.deep.equal(before);
  });

  it('renders every report, the PDF included', () => {
    expect(statuses.map((s) => [s.name, s.ok, s.error ?? ''])).to.deep.equal([['html', true, ''], ['markdown', true, ''], ['junit', true, ''], ['pdf', true, '']]);
    expect(statuses.find((s) => s.name === 'pdf')?.files).to.deep.equal(['report.pdf']);
  });

  it('shows the summary first, then a visible verdict for each of the three layers with the plan', async () => {
    const first = await page.locator('body > section').first().getAttribute('id');
    expect(first).to.equal('summary');
    expect(await page.locator('#summary .outcome').isVisible()).to.equal(true);
    const rows = page.locator('#plan table.layers tbody tr');
    expect(await rows.count()).to.equal(3);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(`${await rows.nth(i).locator('th').innerText()} | ${await rows.nth(i).locator('.badge').innerText()}`);
    expect(seen[0]).to.match(/^Physical.* \| no case$/i);
    expect(seen[1]).to.match(/^Logical.* \| (passed|failed)$/i);
    expect(seen[2]).to.match(/^Auxiliary.* \| no case$/i);
    for (let i = 0; i < 3; i++) expect(await rows.nth(i).locator('.badge').isVisible(), `badge of row ${i}`).to.equal(true);
  });

  it('draws the load chart with axis labels that carry units, and a visible legend', async () => {
    const chart = page.locator('#case-LOG-01 .chart:not(.cluster) svg');
    expect(await chart.isVisible()).to.equal(true);
    for (const label of ['time since load start (s)', 'throughput, req/s', 'latency, ms (log)']) {
      expect(await chart.getByText(label, { exact: true }).isVisible(), label).to.equal(true);
    }
    const legend = chart.locator('g.legend');
    const box = await legend.boundingBox();
    expect(box?.width, 'legend width').to.be.greaterThan(200);
    for (const label of ['req/s', 'errors/s', 'p95 latency', 'fault phase']) expect(await legend.getByText(label, { exact: true }).isVisible(), label).to.equal(true);
    const key = await chart.locator('g.marker-key text').allTextContents();
    expect(key[0]).to.match(/^1\. \+2\.\d+ s fault injected: kill-gateway$/);
  });

  it('draws the cluster timeline under the load chart, on the same time axis, with Ready nodes and the gateway', async () => {
    const load = page.locator('#case-LOG-01 .chart:not(.cluster) svg');
    const timeline = page.locator('#case-LOG-01 .chart.cluster svg');
    expect(await timeline.isVisible()).to.equal(true);
    const [a, b] = [await load.boundingBox(), await timeline.boundingBox()];
    expect(b!.y, 'timeline below the chart').to.be.greaterThan(a!.y + a!.height - 1);
    expect(Math.abs(b!.x - a!.x), 'same left edge').to.be.below(1);
    expect(Math.abs(b!.width - a!.width), 'same width, so the same time axis').to.be.below(1);
    for (const label of ['time since load start (s)', 'Ready (replicas / nodes)', 'fault injected']) {
      expect(await timeline.getByText(label, { exact: true }).isVisible(), label).to.equal(true);
    }
    const gateway = timeline.locator('polyline[data-subject="deployment/demo/gateway"]');
    const line = await gateway.boundingBox();
    expect(line?.width, 'gateway line drawn across the plot').to.be.greaterThan(b!.width / 2);
    expect(line?.height, 'the gateway lost a Ready replica and got it back: a step, not a flat line').to.be.greaterThan(0);
    // the nodes stayed Ready throughout: named as unchanged, not drawn as a flat line
    expect(await timeline.locator('polyline[data-subject="nodes"]').count()).to.equal(0);
    expect(await timeline.locator('g.legend text').filter({ hasText: /^unchanged: nodes 3\/3/ }).count()).to.equal(1);
  });

  it('marks the cluster\'s own events on the timeline, the kill among them, each with its detail, and lists them under it', async () => {
    const timeline = page.locator('#case-LOG-01 .chart.cluster svg');
    const killing = timeline.locator('g.k8s-event[data-reason="Killing"]').first();
    expect(await killing.isVisible(), 'the Killing marker').to.equal(true);
    const box = (await killing.boundingBox())!;
    const plot = (await timeline.boundingBox())!;
    expect(box.width, 'a marker one can point at').to.be.within(5, 20);
    expect(box.x).to.be.within(plot.x, plot.x + plot.width);
    expect(await killing.locator('title').textContent()).to.match(/^\+\d+\.\d+ s Normal Killing pod demo\/gateway-\S+: /);
    expect(await timeline.locator('g.legend').getByText('Kubernetes event (hover: detail)', { exact: true }).isVisible()).to.equal(true);
    const list = page.locator('#case-LOG-01 h5:text-is("Key events (Kubernetes)") + div table');
    expect(await list.isVisible()).to.equal(true);
    const rows = await list.locator('tbody tr').allInnerTexts();
    expect(rows.some((r) => /\tNormal\tKilling\tpod demo\/gateway-/.test(r)), rows.join('\n')).to.equal(true);
    expect(rows.some((r) => /\tSuccessfulCreate\treplicaset demo\/gateway-/.test(r)), rows.join('\n')).to.equal(true);
  });

  it('shows the load study after the layers: the two variants side by side, then each variant\'s table', async () => {
    const section = page.locator('#study-load-study');
    expect(await section.locator('h2').innerText()).to.equal('Load study: load-study');
    const comparison = section.locator('table.study-comparison');
    expect(await comparison.isVisible()).to.equal(true);
    const headers = await comparison.locator('thead th').allInnerTexts();
    expect(headers.slice(0, 7)).to.deep.equal(['step', 'req/s', 'mean', 'p50', 'p75', 'p90', 'p95']);
    const p95 = await comparison.locator('tbody tr').first().locator('td').nth(headers.indexOf('p95')).innerText();
    expect(p95).to.match(/^[\d.]+ ms → [\d.]+ ms \([−+±][\d.]+ %\)$/);
    expect(await section.locator('table.study-variant').count()).to.equal(2);
    for (const t of await section.locator('table.study-variant').all()) expect(await t.isVisible()).to.equal(true);
    const layers = (await page.locator('#layer-auxiliary').boundingBox())!;
    expect((await section.boundingBox())!.y, 'after the layers').to.be.greaterThan(layers.y);
  });

  it('lists the pod it killed and the node it ran on', async () => {
    const table = page.locator('#case-LOG-01 h5:text-is("Pods killed and evicted") + div table');
    expect(await table.isVisible()).to.equal(true);
    const row = await table.locator('tbody tr').first().innerText();
    expect(row).to.match(/kill-gateway\s+killed\s+gateway-\S+\s+node-\d/);
  });

  it('has no element wider than the page outside the scrollable tables', async () => {
    // run in the page (this project's TypeScript has no DOM types, hence a string)
    const overflow = await page.evaluate<string[]>(`(() => {
      const width = document.documentElement.clientWidth;
      return [...document.body.querySelectorAll('*')]
        .filter((e) => !e.closest('.scroll') && e.getBoundingClientRect().right > width + 1)
        .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' + Math.round(e.getBoundingClientRect().right));
    })()`);
    expect(overflow).to.deep.equal([]);
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth'), 'no horizontal scroll bar').to.equal(true);
  });

  it('fits a narrow window too: the charts scale down instead of running off the page', async () => {
    await page.setViewportSize({ width: 700, height: 900 });
    const charts = page.locator('.chart svg');
    expect(await charts.count()).to.be.greaterThan(1);
    for (const box of await Promise.all((await charts.all()).map((c) => c.boundingBox()))) expect(box!.x + box!.width).to.be.at.most(700);
  });
});
