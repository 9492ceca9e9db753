import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp dir per test, removed in afterEach; call at the top of a describe block. */
export function useTempDir(): () => string {
  let dir: string | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crt-report-'));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });
  return () => {
    if (!dir) throw new Error('temp dir used outside a test');
    return dir;
  };
}

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const BAD_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

/**
 * The well-formedness rules a CI parser would reject a file for: one root, balanced tags,
 * quoted attributes, no raw `<` or stray `&` in text. No XML parser is a dependency, and this
 * much is enough to catch an escaping mistake.
 */
export function xmlProblems(xml: string): string[] {
  const s = xml.replace(/^<\?xml[^?]*\?>/, '');
  const stack: string[] = [];
  const problems: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt === -1 ? s.length : lt);
    if (BAD_AMP.test(text)) problems.push(`stray & in text near ${i}: ${text.slice(0, 40)}`);
    if (stack.length === 0 && text.trim() !== '') problems.push(`text outside the root near ${i}`);
    if (lt === -1) break;
    if (s.startsWith('<!--', lt)) {
      i = s.indexOf('-->', lt) + 3;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(s);
    if (!m) {
      problems.push(`bad markup at ${lt}: ${s.slice(lt, lt + 60)}`);
      break;
    }
    const [, close, name, attrs, self] = m as unknown as [string, string, string, string, string];
    if (BAD_AMP.test(attrs)) problems.push(`stray & in attributes of <${name}>`);
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!self) stack.push(name);
    }
    i = TAG.lastIndex;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
