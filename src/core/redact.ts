import type { DestinationStream } from 'pino';

/** What a secret becomes in every file crt writes. */
export const REDACTED = '***';

/** Keys whose values are secrets: headers such as `authorization` and `cookie`, `*token*`, `*password*`, `*secret*`, API keys. */
const SECRET_KEY = /token|passw(or)?d|secret|authorization|api[-_]?key|cookie|credential/i;
/** `passwordEnv`, `tokenFile`: the name of a variable or a file that holds a secret, not the secret. */
const REFERENCE_KEY = /(Env|File|Path)$/;

/** Whether the value of `key` (a header, a setting, an environment variable) is a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE_KEY.test(key);
}

/** `scheme://user:password@` or `scheme://token@` in any text. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>`]+)@/gi;
/** `?token=…`, `&api_key=…` in any text. */
const SECRET_QUERY = /([?&][^=&#\s"'<>]*(?:token|passw(?:or)?d|secret|api[-_]?key|auth)[^=&#\s"'<>]*=)[^&#\s"'<>]+/gi;
/** `${NAME}`: a reference to a variable (an exec step's env: keeps them), not a value. */
const BARE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
/** Shorter known values are not searched for in free text (they would mask common words); keys and URLs still hide them. */
export const MIN_SECRET_LENGTH = 4;

/**
 * Knows the secret values of a run and removes them from whatever crt writes: run.json, the JSON-lines
 * files, crt.log, InfluxDB points, the reports (rendered from the redacted result) and the recorded
 * command line. Three rules: a value under a secret-looking key is replaced whole; a URL's user info
 * and secret query parameters are masked in any string; and every known secret value (substituted
 * from the environment, a URL password, an InfluxDB credential) is masked wherever it appears, also
 * JSON- or URL-encoded. Never mutates what it is given.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  /** Adds a secret value (ignored when shorter than MIN_SECRET_LENGTH). */
  add(value: string | undefined | null): this {
    if (!value || value.length < MIN_SECRET_LENGTH || value === REDACTED || BARE_REFERENCE.test(value)) return this;
    for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      if (!this.values.has(form)) {
        this.values.add(form);
        this.pattern = null;
      }
    }
    return this;
  }

  /** Learns the secrets a data tree holds: values under secret-looking keys, and the passwords of URLs in strings. */
  collect(data: unknown): this {
    walk(data, (key, value) => {
      if (key !== null && isSecretKey(key)) this.add(value);
      for (const m of value.matchAll(URL_USERINFO)) {
        const info = m[2]!;
        const colon = info.indexOf(':');
        const secret = colon < 0 ? info : info.slice(colon + 1);
        this.add(secret);
        this.add(safeDecode(secret));
      }
    });
    return this;
  }

  /** The number of distinct forms searched for (for tests and logs). */
  get size(): number {
    return this.values.size;
  }

  /** `text` with every known secret, URL user info and secret query parameter masked. */
  text(text: string): string {
    let out = text;
    if (this.values.size > 0) {
      this.pattern ??= new RegExp([...this.values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
      out = out.replace(this.pattern, REDACTED);
    }
    if (out.includes('://')) out = out.replace(URL_USERINFO, (_m, scheme: string, info: string) => `${scheme}${maskUserInfo(info)}@`);
    if (out.includes('=')) out = out.replace(SECRET_QUERY, `$1${REDACTED}`);
    return out;
  }

  /** A redacted deep copy of `data` (plain JSON data: objects, arrays, strings, numbers). */
  value<T>(data: T): T {
    return this.copy(data, false) as T;
  }

  /** A pino destination that masks the known values and URL credentials in every line before `destination` gets it. */
  stream(destination: DestinationStream): DestinationStream {
    const target = destination as DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void; end?: () => void };
    return {
      write: (line: string) => target.write(this.text(line)),
      ...(target.flush ? { flush: (cb?: (err?: Error) => void) => target.flush?.(cb) } : {}),
      ...(target.flushSync ? { flushSync: () => target.flushSync?.() } : {}),
      ...(target.end ? { end: () => target.end?.() } : {}),
    };
  }

  private copy(data: unknown, secret: boolean): unknown {
    if (typeof data === 'string') return secret && !BARE_REFERENCE.test(data) ? REDACTED : this.text(data);
    if (secret && (typeof data === 'number' || typeof data === 'boolean')) return REDACTED;
    if (Array.isArray(data)) return data.map((v) => this.copy(v, secret));
    if (data && typeof data === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) out[this.text(k)] = this.copy(v, secret || isSecretKey(k));
      return out;
    }
    return data;
  }
}

/** The user info of a URL, masked: `user:***` keeps the user name; a lone name may itself be a token. */
function maskUserInfo(info: string): string {
  if (info === REDACTED) return info;
  const colon = info.indexOf(':');
  return colon < 0 ? REDACTED : `${info.slice(0, colon)}:${REDACTED}`;
}

/** Calls `visit` for every string of a data tree, with the key it is held under (null in arrays and at the root). */
function walk(data: unknown, visit: (key: string | null, value: string) => void, key: string | null = null): void {
  if (typeof data === 'string') visit(key, data);
  else if ((typeof data === 'number' || typeof data === 'boolean') && key !== null) visit(key, String(data));
  else if (Array.isArray(data)) for (const v of data) walk(v, visit, key);
  else if (data && typeof data === 'object') for (const [k, v] of Object.entries(data)) walk(v, visit, k);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
