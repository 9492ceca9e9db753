import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ExitCode } from '../../../src/core/index.js';
import { loadPlan } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const readme = () => readFileSync(path.join(root, 'README.md'), 'utf8');

describe('docs: README.md', () => {
  it('is the front door: under 200 lines', () => {
    const lines = readme().split('\n').length;
    expect(lines, 'README.md lines: move detail into docs/').to.be.below(200);
  });

  it('gives the test command .ci/run runs: npm test', () => {
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).to.match(/^npm test\b/m);
    expect(readme()).to.match(/^npm test\s/m);
  });

  it('lists every exit code of src/core/exit-codes.ts in its table', () => {
    const rows = readme().split('\n').filter((l) => /^\| \d+( \/ \d+)? \|/.test(l));
    const codes = rows.flatMap((l) => l.split('|')[1]!.split('/').map((c) => Number(c.trim())));
    expect(codes).to.have.members(Object.values(ExitCode));
  });

  it('shows a plan excerpt that crt loads as valid', async () => {
    const excerpt = /^## A plan\n\n```yaml\n([\s\S]*?)```/m.exec(readme())?.[1];
    expect(excerpt, 'a yaml block under "## A plan"').to.be.a('string');
    const tmp = await tempDir('crt-readme-plan-');
    try {
      const file = path.join(tmp.dir, 'plan.yaml');
      writeFileSync(file, excerpt!);
      const { plan } = loadPlan(file, {});
      expect(plan.name).to.equal('shop-acceptance');
    } finally {
      await tmp.remove();
    }
  });
});
