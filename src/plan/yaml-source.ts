import path from 'node:path';
import { LineCounter, isAlias, isCollection, isMap, isPair, isScalar, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import type { Problem } from '../core/index.js';

export type DocPath = ReadonlyArray<string | number>;

/**
 * `['layers', 'logical', 1, 'trigger', 0, 'fault']` → `layers.logical[1].trigger[0].fault`;
 * a key that would read ambiguously is quoted: `targets["api.gateway"]`.
 */
export function formatPath(p: DocPath): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z0-9_$-]+$/.test(seg)) out += `[${JSON.stringify(seg)}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** JSON pointer (`/layers/logical/1`) → path segments, numbers for array indexes. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

const FLOW_VARIABLE_HINT = 'inside { } or [ ], ${ starts a YAML map: quote the reference ("${NAME}", which stays a string) or use block style';

/**
 * A parsed YAML file that remembers where every value came from, so that any problem found
 * later (schema, semantics, run time) can be reported as `file:line:col`.
 */
export class YamlSource {
  readonly lineCounter = new LineCounter();
  readonly doc: Document;
  /** path as shown to the user: relative to the working directory when inside it */
  readonly display: string;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {
    this.display = displayPath(file);
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: true, uniqueKeys: true, keepSourceTokens: false });
  }

  /** YAML syntax errors and warnings, located; then aliases whose anchor is missing. */
  syntaxProblems(): Problem[] {
    const out: Problem[] = [];
    const linesWithError = new Set<number>();
    for (const [severity, list] of [['error', this.doc.errors], ['warning', this.doc.warnings]] as const) {
      for (const e of list) {
        const pos = e.linePos?.[0] ?? this.offsetPos(e.pos[0]);
        // the parser's later complaints about a line that already failed are echoes of the first
        if (severity === 'error' && linesWithError.has(pos.line)) continue;
        if (severity === 'error') linesWithError.add(pos.line);
        out.push(this.yamlProblem(e, pos, severity));
      }
    }
    return out.some((p) => p.severity === 'error') ? out : [...out, ...this.unknownAliases()];
  }

  private yamlProblem(e: YAMLError, pos: { line: number; col: number }, severity: 'error' | 'warning'): Problem {
    if (e.code === 'DUPLICATE_KEY') return this.duplicateKey(e.pos[0], severity);
    const at = { file: this.display, line: pos.line, col: pos.col, path: '', severity };
    if (e.code === 'MULTIPLE_DOCS') {
      return { ...at, message: 'YAML: a second document starts here', hint: 'a file holds one document: remove this --- and what follows' };
    }
    const message = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.message;
    const hint = /[{[][^$]*\$\{/.test(this.lineText(pos.line)) ? FLOW_VARIABLE_HINT : undefined;
    return { ...at, message: `YAML: ${message}`, ...(hint ? { hint } : {}) };
  }

  /** `*name` without an earlier `&name`: yaml reports it only when converting, with no position. */
  private unknownAliases(): Problem[] {
    const out: Problem[] = [];
    visit(this.doc, {
      Alias: (_key, node) => {
        if (node.resolve(this.doc)) return;
        const offset = node.range?.[0] ?? 0;
        out.push({
          file: this.display,
          ...this.offsetPos(offset),
          path: formatPath(this.pathAt(offset)),
          message: `YAML: unknown alias *${node.source}`,
          hint: `an alias refers to an anchor (&${node.source}) set earlier in the same file`,
          severity: 'error',
        });
      },
    });
    return out;
  }

  private duplicateKey(offset: number, severity: 'error' | 'warning'): Problem {
    const key = /^(?:"[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]][^:\n,{}]*?)(?=\s*:)/.exec(this.text.slice(offset))?.[0];
    const name = key?.replace(/^["']|["']$/g, '');
    return {
      file: this.display,
      ...this.offsetPos(offset),
      path: formatPath(this.pathAt(offset)),
      message: name ? `YAML: duplicate key "${name}"` : 'YAML: map keys must be unique',
      hint: 'each key may appear once in a map: remove one of them',
      severity,
    };
  }

  private lineText(line: number): string {
    const start = this.lineCounter.lineStarts[line - 1] ?? 0;
    const end = this.lineCounter.lineStarts[line] ?? this.text.length;
    return this.text.slice(start, end);
  }

  /** Document path of the deepest node whose source range holds `offset`. */
  pathAt(offset: number): (string | number)[] {
    const out: (string | number)[] = [];
    const inside = (n: unknown): boolean => {
      const range = (n as Node | null)?.range;
      return !!range && offset >= range[0] && offset < range[2];
    };
    let node: unknown = this.doc.contents;
    while (isCollection(node)) {
      let next: unknown = null;
      for (const [i, item] of node.items.entries()) {
        if (isPair(item)) {
          if (inside(item.value) && isScalar(item.key)) {
            out.push(String(item.key.value));
            next = item.value;
            break;
          }
          if (inside(item.key) && isScalar(item.key)) {
            if (isMap(node)) out.push(String(item.key.value));
            return out;
          }
        } else if (inside(item)) {
          out.push(i);
          next = item;
          break;
        }
      }
      if (!next || isAlias(next)) break;
      node = next;
    }
    return out;
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  /** The node at `p`, or the deepest existing ancestor. */
  nodeAt(p: DocPath): Node | null {
    for (let n = p.length; n >= 0; n--) {
      const node = this.doc.getIn(p.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node) return node as Node;
    }
    return (this.doc.contents) ?? null;
  }

  /** Position of the value at `p` (or its nearest existing ancestor). */
  position(p: DocPath): { line: number; col: number } {
    return this.offsetPos(this.nodeAt(p)?.range?.[0] ?? 0);
  }

  /** Position of the key `key` in the map at `p`, falling back to the map itself. */
  keyPosition(p: DocPath, key: string): { line: number; col: number } {
    const map = this.doc.getIn(p, true);
    if (isMap(map)) {
      for (const item of map.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) {
          return this.offsetPos(item.key.range[0]);
        }
      }
    }
    return this.position(p);
  }

  problem(p: DocPath, message: string, hint?: string, severity: 'error' | 'warning' = 'error'): Problem {
    const pos = this.position(p);
    return { file: this.display, ...pos, path: formatPath(p), message, ...(hint ? { hint } : {}), severity };
  }

  private offsetPos(offset: number): { line: number; col: number } {
    const pos = this.lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  }
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
