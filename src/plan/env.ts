import { Scalar, isMap, isPair, isScalar, isSeq, visit, type Node, type YAMLMap } from 'yaml';
import { VARIABLE_REFERENCE, isSecretKey, variableValue, type Problem } from '../core/index.js';
import { quoteShellReferences } from './shell-text.js';
import { formatPath, type YamlSource } from './yaml-source.js';

const BAD_EXPR = /\$\{(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})[^}]*\}?/;
/** The shell commands of a plan: exec faults, node-loss with provider command, command probes. */
const COMMAND_KEYS = ['command', 'revertCommand'];
/** Set by crt for every command it runs: a reference to one would read crt's value, not the one validated. */
export const COMMAND_VARIABLES = ['KUBECONFIG', 'CRT_RUN_ID', 'CRT_CASE_ID', 'CRT_STEP'];

type Role = { kind: 'command'; step: YAMLMap } | { kind: 'command-env'; key: string } | { kind: 'value' };

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every scalar value of the document (keys are
 * left alone) with the environment's value; `$${` is a literal `${`. A plain (unquoted)
 * scalar that becomes a number or a boolean is typed as such, so `connections: ${C:-40}`
 * is the integer 40. Problems are located at the scalar.
 *
 * Shell commands (`command:`, `revertCommand:`) are not substituted: their references become the
 * shell's quoted `"${NAME}"`, read from the environment when the command runs (src/plan/shell-text.ts).
 * The `env:` values of a command step keep their references too: the command expands them when it runs
 * and its revert journal records them, not the values. Values substituted into headers, under
 * secret-looking keys or from secret-looking variables are listed in `secrets`.
 */
export function substituteEnv(source: YamlSource, env: NodeJS.ProcessEnv): Substitution {
  const problems: Problem[] = [];
  const quotedPaths = new Set<string>();
  const secrets = new Set<string>();
  visit(source.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const original = node.value;
      const path = scalarPath(ancestors, node);
      const role = roleOf(ancestors);
      if (role.kind === 'command-env' && !original.includes('${') && isSecretKey(role.key)) {
        problems.push(source.problem(path, `${role.key} looks like a secret: written in the plan, it would be recorded in the run folder`, `export it and write ${role.key}: \${${role.key}}`));
        return;
      }
      if (!original.includes('$')) return;
      const bad = BAD_EXPR.exec(original.replace(/\$\$\{/g, ''));
      if (bad) {
        problems.push(source.problem(path, `malformed variable reference "${bad[0]}"`, 'write ${NAME} or ${NAME:-default}; $${ is a literal ${'));
        return;
      }
      const secret = (name: string) => isSecretKey(name) || path.some((p) => typeof p === 'string' && (p === 'headers' || isSecretKey(p)));
      const missing = (name: string) =>
        problems.push(source.problem(path, `environment variable ${name} is not set`, `export ${name}=… before running crt, or write \${${name}:-default}`));
      if (role.kind !== 'value') {
        for (const m of original.matchAll(VARIABLE_REFERENCE)) {
          if (m[1] === undefined) continue;
          const value = variableValue(env, m[1], m[2]);
          if (value === undefined) missing(m[1]);
          else if (env[m[1]] && (secret(m[1]) || (role.kind === 'command-env' && isSecretKey(role.key)))) secrets.add(value);
        }
        if (role.kind === 'command') rewriteCommand(node, role.step, path, source, problems);
        return;
      }
      let changed = false;
      const replaced = original.replace(VARIABLE_REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        changed = true;
        const value = variableValue(env, name as string, fallback);
        if (value === undefined) {
          missing(name as string);
          return match;
        }
        if (env[name as string] && secret(name as string)) secrets.add(value);
        return value;
      });
      if (!changed && replaced === original) return;
      if (changed && node.type !== Scalar.PLAIN) quotedPaths.add(formatPath(path));
      node.value = node.type === Scalar.PLAIN ? retype(replaced) : replaced;
    },
  });
  return { problems, quotedPaths, secrets: [...secrets] };
}

export interface Substitution {
  problems: Problem[];
  /** paths of quoted scalars that held a variable: they stay strings, whatever the value */
  quotedPaths: Set<string>;
  /** the secret values substituted (see substituteEnv): never to be written */
  secrets: string[];
}

/** A shell command's references made quoted shell references, or a located refusal. */
function rewriteCommand(node: Scalar, step: YAMLMap, path: (string | number)[], source: YamlSource, problems: Problem[]): void {
  const text = String(node.value);
  const whole = /^\s*\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}\s*$/.exec(text);
  if (whole) {
    problems.push(source.problem(path, `the whole command comes from \${${whole[1]}}: crt passes a variable as one argument, never as shell text`, `to run the variable's value as a command, say so: sh -c "\${${whole[1]}${whole[2] ?? ''}}"`));
    return;
  }
  const r = quoteShellReferences(text);
  if ('refused' in r) {
    problems.push(source.problem(path, r.refused, r.hint));
    return;
  }
  const stepEnv = step.get('env');
  const envNames = isMap(stepEnv) ? stepEnv.items.flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : [])) : [];
  for (const name of r.names) {
    if (envNames.includes(name) || COMMAND_VARIABLES.includes(name)) {
      const by = envNames.includes(name) ? 'this step\'s env:' : 'crt';
      problems.push(source.problem(path, `\${${name}} is also set by ${by} for the command: the shell would read that value, not the one crt checked`, `use another variable name, or write $${name} (no braces) to read the value the command gets`));
      return;
    }
  }
  node.value = r.text;
}

/**
 * What a scalar is, from its ancestors: a shell command (the value of `command:` or `revertCommand:`),
 * a value of the `env:` map of a step that runs a command (or takes one from a chaos file with `ref:`),
 * or any other value.
 */
function roleOf(ancestors: readonly unknown[]): Role {
  const at = (back: number) => ancestors[ancestors.length - back];
  const pair = at(1);
  if (!isPair(pair) || !isScalar(pair.key)) return { kind: 'value' };
  const key = String(pair.key.value);
  const map = at(2);
  if (COMMAND_KEYS.includes(key) && isMap(map)) return { kind: 'command', step: map };
  const envPair = at(3);
  const step = at(4);
  if (isMap(map) && isPair(envPair) && isScalar(envPair.key) && envPair.key.value === 'env' && isMap(step) && [...COMMAND_KEYS, 'ref'].some((k) => step.has(k))) {
    return { kind: 'command-env', key };
  }
  return { kind: 'value' };
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
