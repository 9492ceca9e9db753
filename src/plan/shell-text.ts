/**
 * The `${NAME}` references of a shell command (`command:`, `revertCommand:`) become the shell's own
 * quoted references, read from crt's environment when the command runs: a value is one word of data
 * and never shell text, so `web; touch pwned` is an argument, not a second command.
 *
 * Hand-written: the job is to find the quoting context of each reference in POSIX sh text (plain,
 * '…', "…", $(…), `…`, $((…)), here-documents); the shell parsers on npm either parse bash into an
 * AST without positions of the quoting (bash-parser, unmaintained) or only split words (shell-quote).
 */
import { VARIABLE_REFERENCE } from '../core/index.js';

export type ShellRewrite = { text: string; names: string[] } | { refused: string; hint: string };

type Kind = 'plain' | 'dq' | 'sq' | 'sub' | 'paren' | 'backtick' | 'arith';

/** Characters that keep a special meaning inside "…": a default holding one cannot be quoted as it is. */
const SPECIAL_IN_DOUBLE_QUOTES = /["$`\\]/;

/**
 * Rewrites the references: `${X}` → `"${X}"` (plain text and `$(…)`), unchanged inside "…", and
 * `'"${X}"'` inside '…' (crt substituted there, the shell would not). `${X:-default}` keeps its default,
 * which the shell applies exactly as crt did (unset or empty). `$${` stays the shell's own `${`.
 * Refused: a reference inside backquotes, `$((…))` or a here-document, a default holding `"`, `$`,
 * backquote or backslash, and unbalanced quotes around a reference.
 */
export function quoteShellReferences(command: string): ShellRewrite {
  const stack: Array<{ kind: Kind; depth: number }> = [{ kind: 'plain', depth: 0 }];
  const top = () => stack[stack.length - 1]!;
  const ref = new RegExp(VARIABLE_REFERENCE.source, 'y');
  const names: string[] = [];
  let out = '';
  let heredoc = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    const frame = top();
    if (command.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    ref.lastIndex = i;
    const m = c === '$' ? ref.exec(command) : null;
    if (m) {
      const [whole, name, fallback] = m as unknown as [string, string, string | undefined];
      const refused = refusal(frame.kind, heredoc, whole, fallback);
      if (refused) return refused;
      const shellRef = fallback === undefined ? `\${${name}}` : `\${${name}:-${fallback}}`;
      out += frame.kind === 'dq' ? shellRef : frame.kind === 'sq' ? `'"${shellRef}"'` : `"${shellRef}"`;
      if (!names.includes(name)) names.push(name);
      i += whole.length;
      continue;
    }
    const step = advance(command, i, frame, stack);
    if (step.heredoc) heredoc = true;
    out += command.slice(i, i + step.length);
    i += step.length;
  }
  if (names.length > 0 && stack.length > 1) {
    return { refused: `unbalanced quotes or parentheses (an open ${describe(top().kind)}) around \${${names[0]}}`, hint: 'close every quote and $( so that crt can quote the value' };
  }
  return { text: out, names };
}

function refusal(kind: Kind, heredoc: boolean, whole: string, fallback: string | undefined): { refused: string; hint: string } | null {
  if (kind === 'backtick') return { refused: `${whole} inside backquotes cannot be passed safely`, hint: 'write $(…) instead of `…`' };
  if (kind === 'arith') return { refused: `${whole} inside $((…)) would be evaluated as arithmetic`, hint: 'assign it first: n=${NAME}; echo $((n + 1)) — write the reference outside $((…))' };
  if (heredoc) return { refused: `${whole} in a here-document cannot be passed safely`, hint: 'pass it as an argument or through env: instead of a here-document' };
  if (fallback !== undefined && SPECIAL_IN_DOUBLE_QUOTES.test(fallback)) {
    return { refused: `the default of ${whole} holds a character the shell would interpret (", $, \` or \\)`, hint: 'set the value in the environment, or use a default without these characters' };
  }
  return null;
}

/** How many characters from `i` form one token of the current context, and the context change it makes. */
function advance(text: string, i: number, frame: { kind: Kind; depth: number }, stack: Array<{ kind: Kind; depth: number }>): { length: number; heredoc?: boolean } {
  const c = text[i]!;
  const push = (kind: Kind, length: number) => (stack.push({ kind, depth: 0 }), { length });
  const pop = (length: number) => (stack.pop(), { length });
  switch (frame.kind) {
    case 'sq':
      return c === "'" ? pop(1) : { length: 1 };
    case 'backtick':
      return c === '\\' ? { length: 2 } : c === '`' ? pop(1) : { length: 1 };
    case 'arith':
      if (c === '(') frame.depth++;
      if (c === ')') {
        if (frame.depth > 0) frame.depth--;
        else if (text[i + 1] === ')') return pop(2);
      }
      return { length: 1 };
    case 'dq':
      if (c === '\\') return { length: 2 };
      if (c === '"') return pop(1);
      return opening(text, i, push) ?? { length: 1 };
    default:
      if (c === '\\') return { length: 2 };
      if (c === "'") return push('sq', 1);
      if (c === '"') return push('dq', 1);
      if (c === '#' && (i === 0 || /[\s;&|(]/.test(text[i - 1]!))) return { length: lineEnd(text, i) - i };
      if (text.startsWith('<<', i)) return { length: 2, heredoc: true };
      if (c === '(' && text[i - 1] !== '$') return push('paren', 1);
      if (c === ')' && (frame.kind === 'sub' || frame.kind === 'paren')) return pop(1);
      return opening(text, i, push) ?? { length: 1 };
  }
}

/** `$((`, `$(` and a backquote open a context in plain text and inside "…". */
function opening(text: string, i: number, push: (kind: Kind, length: number) => { length: number }): { length: number } | null {
  if (text.startsWith('$((', i)) return push('arith', 3);
  if (text.startsWith('$(', i)) return push('sub', 2);
  if (text[i] === '`') return push('backtick', 1);
  return null;
}

function lineEnd(text: string, i: number): number {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n;
}

function describe(kind: Kind): string {
  return { plain: 'text', dq: '"', sq: "'", sub: '$(', paren: '(', backtick: '`', arith: '$((' }[kind];
}
