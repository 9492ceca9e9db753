import { Scalar, isPair, isScalar, isSeq, visit, type Node } from 'yaml';
import type { Problem } from '../core/errors.js';
import { formatPath, type YamlSource } from './yaml-source.js';

const EXPR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const BAD_EXPR = /\$\{(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})[^}]*\}?/;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every scalar value of the document (keys are
 * left alone) with the environment's value; `$${` is a literal `${`. A plain (unquoted)
 * scalar that becomes a number or a boolean is typed as such, so `connections: ${C:-40}`
 * is the integer 40. Problems are located at the scalar.
 */
export function substituteEnv(source: YamlSource, env: NodeJS.ProcessEnv): Substitution {
  const problems: Problem[] = [];
  const quotedPaths = new Set<string>();
  visit(source.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const original = node.value;
      const bad = BAD_EXPR.exec(original.replace(/\$\$\{/g, ''));
      const path = scalarPath(ancestors, node);
      if (bad) {
        problems.push(source.problem(path, `malformed variable reference "${bad[0]}"`, 'write ${NAME} or ${NAME:-default}; $${ is a literal ${'));
        return;
      }
      let changed = false;
      const replaced = original.replace(EXPR, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        changed = true;
        const value = env[name as string];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        problems.push(
          source.problem(path, `environment variable ${name} is not set`, `export ${name}=… before running crt, or write \${${name}:-default}`),
        );
        return match;
      });
      if (!changed && replaced === original) return;
      if (changed && node.type !== Scalar.PLAIN) quotedPaths.add(formatPath(path));
      node.value = node.type === Scalar.PLAIN ? retype(replaced) : replaced;
    },
  });
  return { problems, quotedPaths };
}

export interface Substitution {
  problems: Problem[];
  /** paths of quoted scalars that held a variable: they stay strings, whatever the value */
  quotedPaths: Set<string>;
}

function retype(text: string): string | number | boolean {
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^-?(0|[1-9][0-9]*)?\.[0-9]+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** Document path of a scalar from the visitor's ancestors (maps give keys, sequences indexes). */
function scalarPath(ancestors: readonly unknown[], node: Node): (string | number)[] {
  const out: (string | number)[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    if (isSeq(a)) {
      const idx = a.items.indexOf(ancestors[i + 1] ?? node);
      if (idx >= 0) out.push(idx);
    } else if (isPair(a) && isScalar(a.key)) {
      out.push(String(a.key.value));
    }
  }
  return out;
}
