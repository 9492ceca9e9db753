import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface DepsRow { folder: string; role: string; may: string[] }
const { DEPS } = (await import(pathToFileURL(path.join(root, 'eslint/deps.mjs')).href)) as { DEPS: DepsRow[] };
const { renderDepsDoc, DEPS_DOC } = (await import(pathToFileURL(path.join(root, 'scripts/gen-deps-doc.mjs')).href)) as { renderDepsDoc: () => string; DEPS_DOC: string };

/** The folders of a cycle in the table, or none. */
function cycleOf(rows: DepsRow[]): string[] {
  const may = new Map(rows.map((r) => [r.folder, r.may]));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, trail: string[]): string[] => {
    if (state.get(folder) === 'open') return [...trail.slice(trail.indexOf(folder)), folder];
    if (state.get(folder) === 'done') return [];
    state.set(folder, 'open');
    for (const next of may.get(folder) ?? []) {
      const cycle = visit(next, [...trail, folder]);
      if (cycle.length) return cycle;
    }
    state.set(folder, 'done');
    return [];
  };
  for (const r of rows) {
    const cycle = visit(r.folder, []);
    if (cycle.length) return cycle;
  }
  return [];
}

describe('the dependency table (eslint/deps.mjs)', () => {
  it('docs/contributing/dependencies.md is what npm run gen:deps-doc writes', () => {
    expect(readFileSync(DEPS_DOC, 'utf8'), 'stale page: run npm run gen:deps-doc').to.equal(renderDepsDoc());
  });

  it('names every folder of src/ once, every subfolder of a folder with subfolder rows, and only folders of the table in its lists', () => {
    const folders = DEPS.map((r) => r.folder);
    const dirs = (rel: string): string[] => readdirSync(path.join(root, 'src', rel), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.posix.join(rel, e.name));
    const parents = [...new Set(folders.filter((f) => f.includes('/')).map((f) => f.slice(0, f.lastIndexOf('/'))))];
    const onDisk = [...dirs(''), ...parents.flatMap(dirs)].sort();
    expect([...folders].sort()).to.deep.equal(onDisk);
    expect(new Set(folders).size).to.equal(folders.length);
    for (const r of DEPS) expect(r.may.filter((f) => !folders.includes(f) || f === r.folder), r.folder).to.deep.equal([]);
  });

  it('has no cycle', () => {
    expect(cycleOf(DEPS)).to.deep.equal([]);
  });

  it('the cycle check finds a cycle', () => {
    expect(cycleOf([{ folder: 'a', role: '', may: ['b'] }, { folder: 'b', role: '', may: ['a'] }])).to.deep.equal(['a', 'b', 'a']);
  });
});

