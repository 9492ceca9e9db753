import type { InfluxTarget } from '../engine.js';

export interface K6RunFiles {
  script: string;
  /** NDJSON points (`--out json=`) */
  json: string;
  /** end-of-test summary with thresholds (`--summary-export`) */
  summary: string;
}

/**
 * `--out influxdb=` URL of k6's built-in InfluxDB (v1 API) output: the database is the path,
 * the retention policy the `retention` query parameter. Credentials never go here: they are
 * passed as K6_INFLUXDB_USERNAME / K6_INFLUXDB_PASSWORD (see k6RunEnv).
 */
export function k6InfluxUrl(influx: InfluxTarget): string {
  const u = new URL(influx.url);
  u.username = '';
  u.password = '';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${encodeURIComponent(influx.database)}`;
  if (influx.retentionPolicy) u.searchParams.set('retention', influx.retentionPolicy);
  return u.toString();
}

/** `k6 run` arguments: outputs to the run folder, crt's tags, the sink, the user's extra arguments, the script. */
export function k6RunArgs(o: { files: K6RunFiles; tags: Record<string, string>; influx?: InfluxTarget; extraArgs: readonly string[] }): string[] {
  const args = ['run', '--no-usage-report', '--out', `json=${o.files.json}`, '--summary-export', o.files.summary];
  for (const [k, v] of Object.entries(o.tags)) args.push('--tag', `${k}=${v}`);
  if (o.influx) args.push('--out', `influxdb=${k6InfluxUrl(o.influx)}`);
  args.push(...o.extraArgs, o.files.script);
  return args;
}

/**
 * Environment of the k6 process: the inherited one, the target for user scripts (`CRT_URL`,
 * `CRT_METHOD`, `CRT_HEADERS` and `CRT_BODY` as JSON, `CRT_RUN_ID`, `CRT_CASE`), the InfluxDB credentials (the plan's, else
 * CRT_INFLUX_USERNAME / CRT_INFLUX_PASSWORD), then the load's `k6.env`, which wins.
 */
export function k6RunEnv(o: {
  base: NodeJS.ProcessEnv; url: string; method: string; headers?: Record<string, string>; body?: string | null; runId?: string; caseId?: string; influx?: InfluxTarget; env: Record<string, string>;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...o.base, CRT_URL: o.url, CRT_METHOD: o.method, CRT_HEADERS: JSON.stringify(o.headers ?? {}), CRT_BODY: JSON.stringify(o.body ?? null) };
  if (o.runId) env.CRT_RUN_ID = o.runId;
  if (o.caseId) env.CRT_CASE = o.caseId;
  if (o.influx) {
    const username = o.influx.username ?? o.base.CRT_INFLUX_USERNAME;
    const password = o.influx.password ?? o.base.CRT_INFLUX_PASSWORD;
    if (username) env.K6_INFLUXDB_USERNAME = username;
    if (password) env.K6_INFLUXDB_PASSWORD = password;
  }
  return { ...env, ...o.env };
}
