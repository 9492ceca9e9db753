import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A small checker of the relative links of markdown files: no markdown library in the dependencies
 * gives GitHub's anchors, and this needs only links, headings and code fences.
 */

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  why: string;
}

/**
 * GitHub's heading anchor: lower case, punctuation dropped (letters, digits, spaces, `-` and `_`
 * kept), spaces to `-`; scripts/gen-docs.mjs links its sections the same way.
 */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

/** The lines of a markdown file outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): Array<{ n: number; line: string }> {
  const out: Array<{ n: number; line: string }> = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(```|~~~)/.exec(line);
    if (m) {
      if (fence === null) fence = m[1]!;
      else if (fence === m[1]) fence = null;
      return;
    }
    if (fence === null) out.push({ n: i + 1, line });
  });
  return out;
}

/** The anchors of a file's headings, with GitHub's -1, -2 suffixes for repeated ones. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of proseLines(text)) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!.replace(/\s+#+\s*$/, ''));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** `[text](target)` and `![alt](target)` links of a line, code spans left out. */
function linkTargets(line: string): string[] {
  const prose = line.replace(/`[^`]*`/g, '``');
  return [...prose.matchAll(/\]\(([^()\s]+(?:\([^()\s]*\))?)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

export function markdownFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir)).sort()) {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...markdownFiles(root, rel));
    else if (name.endsWith('.md')) out.push(rel);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
  /** the linked path relative to the root (the file itself for `#anchor`), or null for a URL */
  resolved: string | null;
  anchor: string | undefined;
}

/** The links of one markdown file (relative to `root`), outside code. */
export function links(root: string, file: string): Link[] {
  const out: Link[] = [];
  for (const { n, line } of proseLines(readFileSync(path.join(root, file), 'utf8'))) {
    for (const target of linkTargets(line)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        out.push({ line: n, target, resolved: null, anchor: undefined });
        continue;
      }
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = pathPart === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(pathPart)));
      out.push({ line: n, target, resolved, anchor });
    }
  }
  return out;
}

/**
 * Every relative link of `files` (paths relative to `root`) whose file is missing, or whose
 * `#anchor` names no heading of its markdown file. `mayBeMissing` lists files that may not exist yet.
 */
export function brokenLinks(root: string, files: readonly string[], mayBeMissing: readonly string[] = []): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    let a = anchorCache.get(file);
    if (!a) anchorCache.set(file, (a = anchors(readFileSync(path.join(root, file), 'utf8'))));
    return a;
  };
  for (const file of files) {
    for (const { line, target, resolved, anchor } of links(root, file)) {
      if (resolved === null) continue;
      const at = { file, line, target };
      if (resolved.startsWith('..')) broken.push({ ...at, why: 'leaves the repository' });
      else if (!existsSync(path.join(root, resolved))) {
        if (!mayBeMissing.includes(resolved)) broken.push({ ...at, why: `${resolved} does not exist` });
      } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
        broken.push({ ...at, why: `no heading of ${resolved} has the anchor #${anchor}` });
      }
    }
  }
  return broken;
}
