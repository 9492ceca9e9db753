import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * Runs demo roles the way the embedded cluster does: one process per pod, each on its own
 * loopback IP and port 8080, with the environment a pod gets. Call `stopAll()` in afterEach.
 */
export const DEMO_MAIN = fileURLToPath(new URL('../../../src/demo/main.js', import.meta.url));

let lastHost = 10;
/** A fresh 127.88.x.y per pod, so a test never meets a previous test's lingering socket. */
export function nextIp(): string {
  lastHost++;
  return `127.88.${Math.floor(lastHost / 250)}.${(lastHost % 250) + 1}`;
}

export interface LogEvent {
  event: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Pod {
  name: string;
  ip: string;
  url: string;
  proc: ChildProcess;
  events: LogEvent[];
  readonly stderr: string;
  exited: Promise<Exit>;
  /** Resolves with the first `event` logged (even one logged before the call); rejects if the process exits first. */
  waitFor(event: string, timeoutMs?: number): Promise<LogEvent>;
}

export interface StartOptions {
  name?: string;
  ip?: string;
  env?: Record<string, string>;
  /** the lifecycle event to wait for before resolving (default "ready"; null: do not wait) */
  until?: string | null;
}

export class Pods {
  private readonly pods: Pod[] = [];

  async start(role: string, o: StartOptions = {}): Promise<Pod> {
    const pod = spawnPod(role, o);
    this.pods.push(pod);
    if (o.until !== null) await pod.waitFor(o.until ?? 'ready');
    return pod;
  }

  /** store ← customer-service ← gateway, wired through the Service env vars Kubernetes injects. */
  async chain(env: { store?: Record<string, string>; customerService?: Record<string, string>; gateway?: Record<string, string> } = {}) {
    const store = await this.start('store', { name: 'store-0', env: env.store });
    const customerService = await this.start('customer-service', {
      name: 'customer-service-0',
      env: { ...serviceEnv('store', store.ip), ...env.customerService },
    });
    const gateway = await this.start('gateway', {
      name: 'gateway-0',
      env: { ...serviceEnv('customer-service', customerService.ip), ...env.gateway },
    });
    return { store, customerService, gateway };
  }

  async stopAll(): Promise<void> {
    const pods = this.pods.splice(0);
    for (const pod of pods) if (pod.proc.exitCode === null && pod.proc.signalCode === null) pod.proc.kill('SIGKILL');
    await Promise.all(pods.map((p) => p.exited));
  }
}

/** What Kubernetes puts in a pod's environment for a Service called `service` on port 8080. */
export function serviceEnv(service: string, ip: string): Record<string, string> {
  const prefix = service.toUpperCase().replace(/-/g, '_');
  return { [`${prefix}_SERVICE_HOST`]: ip, [`${prefix}_SERVICE_PORT`]: '8080' };
}

function spawnPod(role: string, o: StartOptions): Pod {
  const ip = o.ip ?? nextIp();
  const name = o.name ?? `${role}-${ip.replace(/\./g, '-')}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HOST: ip,
    POD_IP: ip,
    POD_NAME: name,
    POD_NAMESPACE: 'demo',
    NODE_NAME: 'node-1',
    SHUTDOWN_DELAY_MS: '50',
    ...o.env,
  };
  const proc = spawn(process.execPath, ['--enable-source-maps', DEMO_MAIN, role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: LogEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let partial = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as LogEvent);
    waiters.forEach((w) => w());
  });
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  const waitFor = (event: string, timeoutMs = 5000) =>
    new Promise<LogEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find((e) => e.event === event);
        if (found) done(() => resolve(found));
      };
      const done = (settle: () => void) => {
        waiters.delete(check);
        clearTimeout(timer);
        settle();
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${name}: no "${event}" within ${timeoutMs} ms; stderr: ${stderr}`))), timeoutMs);
      waiters.add(check);
      check();
      void exited.then((x) => done(() => reject(new Error(`${name} exited (${x.code ?? x.signal}) before "${event}"; stderr: ${stderr}`))));
    });
  return { name, ip, url: `http://${ip}:8080`, proc, events, get stderr() { return stderr; }, exited, waitFor };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  // JSON of any shape: the assertions are its type check
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
}

/** One request on a fresh connection (no agent), so no socket outlives the test. */
export function request(url: string, o: { method?: string; json?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const body = o.json === undefined ? undefined : JSON.stringify(o.json);
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = http.request(url, { method: o.method ?? 'GET', agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
