import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './tmp.js';
import { until } from './until.js';

export const INFLUXD_MISSING = 'influxd not found on PATH (apt-get install influxdb)';

/** Whether `influxd` is on PATH; CRT_REQUIRE_INFLUXD=1 (CI) turns its absence into a failure instead of a skip. */
export function influxdAvailable(): boolean {
  const found = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).status === 0;
  if (!found && process.env.CRT_REQUIRE_INFLUXD === '1') throw new Error(`${INFLUXD_MISSING}; CRT_REQUIRE_INFLUXD=1 requires it`);
  return found;
}

/** In a `before`: skips the suite, saying why, when influxd is absent. */
export function requireInfluxd(ctx: Mocha.Context): void {
  if (!influxdAvailable()) {
    console.log(`      skipped: ${INFLUXD_MISSING}`);
    ctx.skip();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A real InfluxDB 1.x on loopback with its data in a temp folder; stop and start it again on the same data and port. */
export class Influxd {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly removeDir: () => Promise<void>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(opts: { auth?: boolean } = {}): Promise<Influxd> {
    const tmp = await tempDir('crt-influxd-');
    const [port, rpcPort] = [await freePort(), await freePort()];
    const d = (name: string) => JSON.stringify(path.join(tmp.dir, name));
    await mkdir(path.join(tmp.dir, 'meta'));
    await writeFile(
      path.join(tmp.dir, 'influxdb.conf'),
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]', `  dir = ${d('meta')}`,
        '[data]', `  dir = ${d('data')}`, `  wal-dir = ${d('wal')}`, '  query-log-enabled = false',
        '[http]', `  bind-address = "127.0.0.1:${port}"`, `  auth-enabled = ${opts.auth ? 'true' : 'false'}`, '  log-enabled = false',
        '[monitor]', '  store-enabled = false',
        '[continuous_queries]', '  enabled = false',
        '[logging]', '  level = "warn"',
        '',
      ].join('\n'),
    );
    const influxd = new Influxd(tmp.dir, port, () => tmp.remove());
    await influxd.resume();
    return influxd;
  }

  /** Starts influxd (again) on the same folder and port and waits for /ping. */
  async resume(): Promise<void> {
    this.output = '';
    const child = spawn('influxd', ['-config', path.join(this.dir, 'influxdb.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => (this.output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.output += b.toString()));
    await until(`influxd on port ${this.port} (output: ${this.output.slice(-500)})`, async () => {
      if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}: ${this.output.slice(-2000)}`);
      try {
        return (await fetch(`${this.url}/ping`)).status === 204;
      } catch {
        return false;
      }
    }, 20_000, 100);
  }

  /** Stops influxd (SIGTERM, then waits for it to exit); the data stays. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  }

  /** SIGSTOP: influxd keeps its port but answers nothing (a hung or overloaded server); `cont` resumes it. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  cont(): void {
    this.child?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.cont();
    await this.stop();
    await this.removeDir();
  }

  /** Runs InfluxQL over HTTP and returns the series of the first statement (basic auth when given). */
  async query(q: string, db?: string, auth?: { username: string; password: string }): Promise<Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>> {
    const params = new URLSearchParams({ q, epoch: 'u', ...(db ? { db } : {}) });
    const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
    const res = await fetch(`${this.url}/query`, { method: 'POST', body: params, headers });
    const body = (await res.json()) as { results?: Array<{ series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>; error?: string }>; error?: string };
    const first = body.results?.[0];
    if (!res.ok || body.error || first?.error) throw new Error(`influx query ${q}: ${res.status} ${body.error ?? first?.error ?? ''}`);
    return first?.series ?? [];
  }
}
