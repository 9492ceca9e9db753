import { kitConfig, type Env } from '../../../src/demo/config.js';
import { createCustomerService } from '../../../src/demo/customer-service.js';
import { eventLog } from '../../../src/demo/event-log.js';
import { createGateway } from '../../../src/demo/gateway.js';
import { startPodServer, type DemoApp } from '../../../src/demo/server-kit.js';
import { createStore } from '../../../src/demo/store.js';
import type { LogEvent } from './pods.js';

/**
 * Demo roles served in this process on 127.0.0.1 and a port of the kernel's choosing (or PORT),
 * for the route-level tests: no child process, events collected in memory. Call `stopAll()` in
 * afterEach.
 */
const factories = {
  store: createStore,
  'customer-service': createCustomerService,
  gateway: createGateway,
} satisfies Record<string, (env: Env, log: ReturnType<typeof eventLog>) => Promise<DemoApp>>;

export interface Served {
  url: string;
  port: number;
  events: LogEvent[];
  /** graceful stop (no shutdown delay): new connections are refused once it resolves */
  stop(): Promise<void>;
}

export class InProcess {
  private readonly running: Served[] = [];

  async start(role: keyof typeof factories, env: Env = {}): Promise<Served> {
    const events: LogEvent[] = [];
    const full = { HOST: '127.0.0.1', PORT: '0', POD_NAME: `${role}-0`, SHUTDOWN_DELAY_MS: '0', DRAIN_TIMEOUT_MS: '2000', ...env };
    const log = eventLog({ role, pod: full.POD_NAME, version: 'test', write: (line) => void events.push(JSON.parse(line) as LogEvent) });
    const cfg = kitConfig(full);
    const app = await factories[role](full, log);
    const server = await startPodServer(app, cfg, log);
    let stopped: Promise<void> | undefined;
    const served: Served = {
      url: server.url,
      port: Number(new URL(server.url).port),
      events,
      stop: () => (stopped ??= server.terminate().then(() => undefined)),
    };
    this.running.push(served);
    return served;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((s) => s.stop()));
  }
}
