import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../core/index.js';
import type { SinksDoc } from '../plan/index.js';

/** Where the InfluxDB sink writes, with credentials resolved from the environment or files. */
export interface InfluxConfig {
  /** base URL without credentials */
  url: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** InfluxDB 2.x/3.x API token, sent as `Authorization: Token …` to the v1-compatible API */
  token?: string;
}

type InfluxDoc = NonNullable<SinksDoc['influx']>;

export const INFLUX_ENV = {
  url: 'CRT_INFLUX_URL',
  database: 'CRT_INFLUX_DATABASE',
  username: 'CRT_INFLUX_USERNAME',
  password: 'CRT_INFLUX_PASSWORD',
  token: 'CRT_INFLUX_TOKEN',
} as const;

export const DEFAULT_INFLUX_DATABASE = 'crt';

export interface InfluxSources {
  /** `--influx-url`: wins over CRT_INFLUX_URL, which wins over the plan */
  url?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** folder of the plan, for relative `passwordFile`/`tokenFile` */
  baseDir: string;
}

/**
 * The sink's configuration from the plan (`sinks.influx`), `--influx-url` and the environment; null when
 * none asks for InfluxDB. A URL may carry `user:password@` only when it comes from the command line or
 * the environment; the credentials are moved out of it, so the URL can be logged as it is.
 */
export function resolveInfluxConfig(doc: InfluxDoc | undefined, src: InfluxSources): InfluxConfig | null {
  const env = (name: string | undefined) => (name ? src.env[name] || undefined : undefined);
  const rawUrl = src.url ?? env(INFLUX_ENV.url) ?? doc?.url;
  if (!rawUrl) return null;
  let url: URL;
  try {
    url = new URL(rawUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`InfluxDB URL "${redactUrl(rawUrl)}" is not an http:// or https:// URL`, { hint: `check --influx-url, ${INFLUX_ENV.url} or sinks.influx.url` });
  }
  const urlUser = url.username ? decodeURIComponent(url.username) : undefined;
  const urlPassword = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  const fromFile = (file: string | undefined, what: string) => (file ? readSecret(path.resolve(src.baseDir, file), what) : undefined);
  const needEnv = (name: string | undefined, what: string) => {
    if (name && !src.env[name]) throw new EnvironmentError(`sinks.influx.${what}Env names ${name}, which is not set`, { hint: `export ${name}=… before crt run` });
    return env(name);
  };
  const config: InfluxConfig = {
    url: url.toString().replace(/\/$/, ''),
    database: doc?.database ?? env(INFLUX_ENV.database) ?? DEFAULT_INFLUX_DATABASE,
    ...(doc?.retentionPolicy ? { retentionPolicy: doc.retentionPolicy } : {}),
  };
  const username = needEnv(doc?.usernameEnv, 'username') ?? doc?.username ?? urlUser ?? env(INFLUX_ENV.username);
  const password = needEnv(doc?.passwordEnv, 'password') ?? fromFile(doc?.passwordFile, 'passwordFile') ?? urlPassword ?? env(INFLUX_ENV.password);
  const token = needEnv(doc?.tokenEnv, 'token') ?? fromFile(doc?.tokenFile, 'tokenFile') ?? env(INFLUX_ENV.token);
  if (username) config.username = username;
  if (password) config.password = password;
  if (token) config.token = token;
  return config;
}

function readSecret(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new EnvironmentError(`sinks.influx.${what} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'the path is relative to the plan file',
    });
  }
}

/** The URL with any `user:password@` replaced, for logs and messages. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//[redacted]@');
  }
}

/** What to log about the configuration: never a secret, only whether one is set. */
export function describeInfluxConfig(c: InfluxConfig): Record<string, unknown> {
  return {
    url: c.url,
    database: c.database,
    retentionPolicy: c.retentionPolicy ?? null,
    username: c.username ?? null,
    auth: c.token ? 'token' : c.password ? 'password' : 'none',
  };
}
