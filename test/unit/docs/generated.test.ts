import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { FAULT_KINDS, PROBE_KINDS } from '../../../src/plan/index.js';
import { ExitCode } from '../../../src/core/index.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface GenDocs {
  GENERATED_PAGES: Record<string, string>;
  renderDocs(): Record<string, string>;
}

/** scripts/gen-docs.mjs, which reads the built dist/ as this test does. */
async function genDocs(): Promise<GenDocs> {
  return (await import(pathToFileURL(path.join(root, 'scripts/gen-docs.mjs')).href)) as GenDocs;
}

describe('docs: generated reference pages', () => {
  let pages: Record<string, string>;
  before(async () => {
    pages = (await genDocs()).renderDocs();
  });

  it('are what scripts/gen-docs.mjs produces from the code now', () => {
    expect(Object.keys(pages)).to.have.members(['docs/reference/cli.md', 'docs/reference/errors.md', 'docs/reference/plan.md', 'docs/reference/faults.md', 'docs/reference/probes.md']);
    for (const [page, content] of Object.entries(pages)) {
      const onDisk = readFileSync(path.join(root, page), 'utf8');
      expect(onDisk === content, `${page} is stale: run npm run gen:docs`).to.equal(true);
    }
  });

  it('document every command and option of the commander program', () => {
    const cli = pages['docs/reference/cli.md']!;
    for (const heading of ['crt validate', 'crt run', 'crt report', 'crt compare', 'crt revert', 'crt confirm', 'crt push', 'crt cluster up', 'crt cluster install']) {
      expect(cli).to.include(`\n### \`${heading}\`\n`.replace('### `crt cluster ', '#### `crt cluster '));
    }
    for (const option of ['--revert-first', '--control-plane <kind>', '--sign-off <file>', '--no-cluster', '--node-monitor-grace-period <duration>']) {
      expect(cli).to.include(`\`${option}\``);
    }
    expect(cli).not.to.include('crt worker [options]');
  });

  it('list every exit code, fault kind and probe kind', () => {
    for (const code of Object.values(ExitCode)) expect(pages['docs/reference/cli.md']).to.match(new RegExp(`^\\| ${code} \\|`, 'm'));
    for (const kind of FAULT_KINDS) expect(pages['docs/reference/faults.md']).to.include(`\n## \`${kind}\`\n`);
    for (const kind of PROBE_KINDS) expect(pages['docs/reference/probes.md']).to.include(`\n## \`${kind}\`\n`);
  });

  it('take their key tables from the schema\'s descriptions', () => {
    expect(pages['docs/reference/faults.md']).to.include('| `strategy` | recreate or rolling-update |  | the deployment\'s update strategy for this rollout');
    expect(pages['docs/reference/plan.md']).to.include('| `metadata` | [object](#metadata) | yes | what this plan tests, printed at the top of the report |');
    expect(pages['docs/reference/probes.md']).to.include('| `workload` | string | yes | the HPA\'s scale target (e.g. gateway), or the HPA\'s own name |');
  });
});
