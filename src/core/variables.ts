/**
 * The `${NAME}` / `${NAME:-default}` references of plans (`$${` is a literal `${`): one grammar for
 * the plan loader, which substitutes them, and for the commands that read them when they run.
 */
export const VARIABLE_REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** The value a reference stands for: set and non-empty, else the default, else undefined (not set). */
export function variableValue(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string | undefined): string | undefined {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  return fallback;
}

/** `text` with its references replaced from `env`; `missing` lists the variables without value nor default. */
export function expandVariables(text: string, env: Readonly<Record<string, string | undefined>>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(VARIABLE_REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const value = variableValue(env, name as string, fallback);
    if (value === undefined) {
      missing.push(name as string);
      return match;
    }
    return value;
  });
  return { text: out, missing };
}

/** The names of the variables `text` references, in order, once each; `withDefaults: false` leaves out `${NAME:-default}`. */
export function referencedVariables(text: string, withDefaults = true): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE_REFERENCE)) if (m[1] && (withDefaults || m[2] === undefined)) names.add(m[1]);
  return [...names];
}
