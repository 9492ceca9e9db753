import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { anchors, brokenLinks, links, markdownFiles, slug } from './markdown-links.js';
import { tempDir } from '../../helpers/tmp.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

const docs = () => ['README.md', ...markdownFiles(root, 'docs')];
const show = (b: { file: string; line: number; target: string; why: string }) => `${b.file}:${b.line} (${b.target}): ${b.why}`;

describe('docs: links', () => {
  it('resolves every relative link and #anchor of README.md and docs/**/*.md', () => {
    const files = docs();
    expect(files.length).to.be.at.least(30);
    expect(brokenLinks(root, files, []).map(show)).to.deep.equal([]);
  });

  it('links every page under docs/ from README.md or another page', () => {
    const files = docs();
    const linked = new Set(files.flatMap((f) => links(root, f).filter((l) => l.resolved !== f).map((l) => l.resolved)));
    const orphans = files.filter((f) => f !== 'README.md' && !linked.has(f));
    expect(orphans, 'pages nothing links to').to.deep.equal([]);
  });

  it('reports a missing file, a missing anchor and a link out of the repository, and allows listed files', async () => {
    const tmp = await tempDir('crt-docs-links-');
    after(() => tmp.remove());
    const dir = tmp.dir;
    mkdirSync(path.join(dir, 'docs'));
    writeFileSync(path.join(dir, 'docs', 'a.md'), '# A page\n\n## Two words\n\n## Two words\n');
    writeFileSync(path.join(dir, 'README.md'), [
      '[ok](docs/a.md#two-words-1) [self](#title) [gone](docs/b.md) [anchor](docs/a.md#nowhere)',
      '[out](../x.md) [later](docs/later.md) [web](https://example.com/x.md) `[code](docs/c.md)`',
      '```', '[fenced](docs/d.md)', '```', '# Title',
    ].join('\n'));
    expect(brokenLinks(dir, ['README.md'], ['docs/later.md']).map((b) => b.target)).to.deep.equal(['docs/b.md', 'docs/a.md#nowhere', '../x.md']);
  });

  it('computes anchors as GitHub does', () => {
    expect(slug('The real control plane (`controlPlane: kubernetes`)')).to.equal('the-real-control-plane-controlplane-kubernetes');
    expect(slug('Sessions: WebSocket, TCP lines and SSE')).to.equal('sessions-websocket-tcp-lines-and-sse');
    expect([...anchors('# A\n```\n# not a heading\n```\n## A\n')]).to.deep.equal(['a', 'a-1']);
  });
});
