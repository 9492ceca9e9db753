import { InfluxDB } from 'influx';
import { ExponentialBackoff } from 'influx/lib/src/backoff/exponential.js';
import { EnvironmentError, errorMessage } from '../core/index.js';
import type { InfluxConfig } from './influx-config.js';
import type { CrtPoint } from './influx-points.js';

export interface InfluxWriterOptions {
  /** a write or query that takes longer fails (and its points are spooled) */
  requestTimeoutMs?: number;
  /** points per HTTP write */
  batchSize?: number;
}

/**
 * The InfluxDB connection of the sink and of `crt push` (node-influx over the 1.x HTTP API, which
 * InfluxDB 2.x and 3.x also serve for writes). No retries inside node-influx: a failed batch goes to
 * the spool at once instead of holding up the batches behind it.
 */
export class InfluxWriter {
  readonly client: InfluxDB;
  readonly batchSize: number;

  constructor(
    readonly config: InfluxConfig,
    opts: InfluxWriterOptions = {},
  ) {
    const url = new URL(config.url);
    this.batchSize = opts.batchSize ?? 5000;
    this.client = new InfluxDB({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      path: url.pathname.replace(/\/$/, ''),
      database: config.database,
      ...(config.username !== undefined ? { username: config.username } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
      ...(config.token ? { options: { headers: { Authorization: `Token ${config.token}` } } } : {}),
      // node-influx disables a failing host for a backoff delay (then fails fast); its timer must not
      // hold the process open for long after the run
      pool: { maxRetries: 0, requestTimeout: opts.requestTimeoutMs ?? 5000, backoff: new ExponentialBackoff({ initial: 200, max: 1000, random: 0 }) },
    });
  }

  /**
   * Checks before the run that points can land: InfluxDB answers, takes the credentials, and the
   * database exists (or is created). Throws EnvironmentError (exit 3) saying which of these failed.
   */
  async check(timeoutMs = 5000): Promise<{ version: string }> {
    const { url, database } = this.config;
    const [pong] = await this.client.ping(timeoutMs);
    if (!pong?.online) {
      throw new EnvironmentError(`InfluxDB at ${url} does not answer (/ping failed within ${timeoutMs} ms)`, {
        hint: 'start InfluxDB (docker compose up -d influxdb) or fix --influx-url / CRT_INFLUX_URL / sinks.influx.url',
      });
    }
    let names: string[];
    try {
      names = await this.client.getDatabaseNames();
    } catch (err) {
      const message = errorMessage(err);
      const auth = /\b40[13]\b|authoriz|authenticat/i.test(message);
      throw new EnvironmentError(`InfluxDB at ${url} refused to list databases: ${message}`, {
        hint: auth
          ? 'check the credentials: CRT_INFLUX_USERNAME and CRT_INFLUX_PASSWORD (1.x), or CRT_INFLUX_TOKEN (2.x/3.x), or sinks.influx.*Env / *File'
          : 'is this the InfluxDB HTTP API (default port 8086)?',
      });
    }
    if (!names.includes(database)) {
      try {
        await this.client.createDatabase(database);
      } catch (err) {
        throw new EnvironmentError(`InfluxDB database "${database}" does not exist at ${url} and could not be created: ${errorMessage(err)}`, {
          hint: `create it as an admin (CREATE DATABASE "${database}"), give the user WRITE on it, or use a database that exists (2.x/3.x: a bucket with a DBRP mapping)`,
        });
      }
    }
    return { version: pong.version };
  }

  /** Writes the points in batches, in order; throws at the first batch that fails (earlier ones are written). */
  async write(points: readonly CrtPoint[], onBatch?: (written: number) => void): Promise<void> {
    for (let i = 0; i < points.length; i += this.batchSize) {
      const batch = points.slice(i, i + this.batchSize);
      await this.client.writePoints(batch, {
        precision: 'u',
        database: this.config.database,
        ...(this.config.retentionPolicy ? { retentionPolicy: this.config.retentionPolicy } : {}),
      });
      onBatch?.(batch.length);
    }
  }
}
