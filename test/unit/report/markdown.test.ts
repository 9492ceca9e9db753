import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { markdownReporter } from '../../../src/report/markdown.js';
import { CLUSTER, TIMESERIES, fixtureRun } from './fixture.js';
import { useTempDir, xmlProblems } from './helpers.js';

describe('report/markdown', () => {
  const tempDir = useTempDir();

  async function render(): Promise<{ files: string[]; md: string }> {
    const files = await markdownReporter().render({ run: fixtureRun(), timeseries: TIMESERIES, cluster: CLUSTER, dir: tempDir() });
    return { files, md: await readFile(join(tempDir(), 'report.md'), 'utf8') };
  }

  it('writes report.md, summary.md, one chart file (SVG and PNG) per case with load and one cluster timeline per case the cluster watch saw, and returns their names', async () => {
    const { files } = await render();
    expect(files).to.deep.equal(['report.md', 'summary.md', 'charts/L-01.svg', 'charts/L-01.png', 'charts/L-02.svg', 'charts/L-02.png', 'charts/L-02-cluster.svg']);
    const png = await readFile(join(tempDir(), 'charts/L-02.png'));
    expect(png.subarray(0, 8).toString('hex'), 'a PNG signature').to.equal('89504e470d0a1a0a');
    // IHDR: width and height, big-endian, at bytes 16 and 20; rendered at twice the SVG's 880 px
    expect(png.readUInt32BE(16)).to.equal(1760);
    expect(xmlProblems(await readFile(join(tempDir(), 'charts/L-02-cluster.svg'), 'utf8'))).to.deep.equal([]);
    const svg = await readFile(join(tempDir(), 'charts/L-02.svg'), 'utf8');
    expect(xmlProblems(svg)).to.deep.equal([]);
  });

  it('references each chart as an image', async () => {
    const { md } = await render();
    expect(md).to.include('![Load and latency of case L-02](charts/L-02.svg)');
  });

  it('escapes a pipe in a title so it cannot split a table cell', async () => {
    const { md } = await render();
    expect(md).to.include('Pod kill: a \\| b');
    expect(md).not.to.include('a | b');
  });

  it('escapes a title holding markup', async () => {
    const { md } = await render();
    expect(md).to.include('Steady load &lt;script&gt;alert(1)&lt;/script&gt; & friends');
    expect(md).not.to.match(/<script/i);
  });

  it('has an expectations table and a phase table for a case with load', async () => {
    const { md } = await render();
    expect(md).to.include('| phase | metric | expected | measured | verdict |');
    expect(md).to.include('| whole | p95 | p95 ≤ 200ms | 312 ms | failed |');
    // with a fixed rate, the requests due by the schedule come before those completed
    expect(md).to.include('| phase | window (s) | due | requests | failed | error rate | req/s |');
    expect(md).to.include('| fault | 10.0–20.0 | 2000 | 1000 | 200 | 20% | 100.0 |');
  });

  it('shows the service time beside the latency from the intended send time', async () => {
    const { md } = await render();
    expect(md).to.match(/Service time/);
    expect(md).to.match(/measured from each request's intended send time/);
  });

  it('prints the five CRT fields for every case', async () => {
    const { md } = await render();
    for (const field of ['Objective', 'General conditions', 'Triggering actions', 'Expected behaviour', 'Results']) {
      expect(md.split(`#### ${field}\n`)).to.have.length(4, field);
    }
  });

  it('lists tolerated and not tolerated cases in the summary', async () => {
    const { md } = await render();
    expect(md).to.match(/### What the platform tolerates\n\n- L-01 — Steady load/);
    expect(md).to.match(/### What it does not tolerate\n\n- L-02 — Pod kill: a \\\| b \(failed\): 1 of 3 expectations failed/);
  });

  it('says so for a layer without cases', async () => {
    const { md } = await render();
    expect(md).to.include('## Auxiliary layer — _no case_\n\n_no case in this layer_');
  });
});
