import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crt } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const THREE_MINUTES_MS = 180_000;

interface RunJson {
  verdict: string;
  cases: Array<{ id: string; layer: string; verdict: string; spec: Record<string, unknown>; expectations: Array<{ verdict: string; thresholdText: string }> }>;
}

describe('the quickstart plan (test-plans/quickstart.yaml)', function () {
  this.timeout(240_000);

  it('validates: one case per CRT layer', async () => {
    const r = await crt(['validate', 'test-plans/quickstart.yaml'], { cwd: ROOT });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout + r.stderr).to.contain('physical 1, logical 1, auxiliary 1 — 3 cases');
  });

  it('gives every case the CRT fields a person writes: title, objective, general conditions, triggering actions or load, expected behaviour', async () => {
    const plan = parse(await readFile(path.join(ROOT, 'test-plans/quickstart.yaml'), 'utf8')) as { layers: Record<string, Array<Record<string, unknown>>> };
    for (const [layer, cases] of Object.entries(plan.layers)) {
      for (const c of cases) {
        const where = `${layer} ${String(c.id)}`;
        expect(c.title, where).to.be.a('string');
        expect(c.objective, where).to.be.a('string');
        expect(c.conditions, where).to.be.an('array').that.is.not.empty;
        expect(c.trigger ?? c.load, where).to.not.equal(undefined);
        expect(c.expect, where).to.be.an('object');
      }
    }
  });

  it('runs end to end on the embedded cluster (npm run quickstart): every case passes, in under 3 minutes', async () => {
    const tmp = await tempDir();
    try {
      const started = Date.now();
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn('npm', ['run', '--silent', 'quickstart', '--', '--out', tmp.dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      const elapsedMs = Date.now() - started;
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/cases: 3 passed of 3 in /);
      expect(r.stderr).to.include('\nPASSED (exit 0) — 3/3 cases passed\n');
      const run = JSON.parse(await readFile(path.join(r.stdout.trim(), 'run.json'), 'utf8')) as RunJson;
      expect(run.cases.map((c) => [c.id, c.layer, c.verdict])).to.deep.equal([
        ['PHY-01', 'physical', 'passed'],
        ['LOG-01', 'logical', 'passed'],
        ['AUX-01', 'auxiliary', 'passed'],
      ]);
      for (const c of run.cases) expect(c.expectations.filter((e) => e.verdict !== 'passed'), c.id).to.deep.equal([]);
      const phy = run.cases[0]!.expectations.map((e) => e.thresholdText);
      expect(phy).to.include.members(['recovery time ≤ 15s', 'cluster recovery time ≤ 30s']);
      expect(r.stderr).to.match(/inject power-off-node-3: ok .*NotReady after \d+ ms, \d+ pods evicted after \d+ ms/);
      expect(r.stderr).to.match(/backup-recent-with-votes: ok .*saved \d+\.\d s ago .*, \d+ votes/);
      expect(elapsedMs, 'the quickstart promises under 3 minutes').to.be.below(THREE_MINUTES_MS);
    } finally {
      await tmp.remove();
    }
  });
});
