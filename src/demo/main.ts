import { startChat } from './chat.js';
import { ConfigError, intKnob, kitConfig, type Env } from './config.js';
import { createCustomerService } from './customer-service.js';
import { errorText, eventLog, type EventLog } from './event-log.js';
import { createGateway } from './gateway.js';
import { startPodServer, type DemoApp } from './server-kit.js';
import { createStore } from './store.js';

/**
 * The container entry point of image crt.io/demo: `node dist/src/demo/main.js <role>`.
 * Exit codes: 0 drained after SIGTERM, 1 failed (start, or drain timed out), 2 usage or config.
 */
type RoleFactory = (env: Env, log: EventLog) => Promise<DemoApp>;

const roles = {
  gateway: createGateway,
  'customer-service': createCustomerService,
  store: createStore,
} satisfies Record<string, RoleFactory>;

type Role = keyof typeof roles | 'chat';

const USAGE = `usage: node dist/src/demo/main.js <${[...Object.keys(roles), 'chat'].join('|')}>

The crt demo system under test (gateway -> customer-service -> store), one role per process.
Configured by environment: HOST, PORT, POD_NAME, DEMO_VERSION, LATENCY_MS, CPU_MS, FAIL_RATE,
READY_DELAY_MS, WARMUP_MS, SHUTDOWN_DELAY_MS, DRAIN_TIMEOUT_MS, UPSTREAM_TIMEOUT_MS,
CUSTOMER_SERVICE_URL (gateway), STORE_URL and STORE_REPLICA_URL (customer-service),
DATA_DIR and SNAPSHOT_DEBOUNCE_MS (store), ROLE=replica, PRIMARY_URL and REPLICATION_INTERVAL_MS
(store replica). chat: PORT (WebSocket /chat, SSE /chat/events), TCP_PORT (line echo, default 9000),
DRAIN_NOTICE (default true: tell clients to reconnect on SIGTERM), NOTICE_GRACE_MS.
`;

function isRole(name: string | undefined): name is Role {
  return name !== undefined && (name === 'chat' || Object.hasOwn(roles, name));
}

async function main(argv: string[], env: Env): Promise<void> {
  const [role, ...extra] = argv;
  if (!isRole(role) || extra.length > 0) {
    process.stderr.write(role === undefined ? USAGE : `unknown role "${[role, ...extra].join(' ')}"\n\n${USAGE}`);
    process.exit(2);
  }
  let log: EventLog = eventLog({ role, pod: env.POD_NAME ?? 'unknown', version: env.DEMO_VERSION ?? 'dev' });
  try {
    const cfg = kitConfig(env);
    log = eventLog({ role, pod: cfg.podName, version: cfg.version });
    if (role === 'chat') {
      await runChat(env, { host: cfg.host, port: cfg.port, podName: cfg.podName }, log);
      return;
    }
    const app = await roles[role](env, log);
    const server = await startPodServer(app, cfg, log);
    const onSignal = (signal: NodeJS.Signals) => {
      log('signal', { signal });
      void server.terminate().then(
        (outcome) => process.exit(outcome === 'drained' ? 0 : 1),
        (err: unknown) => {
          log('close-failed', { error: errorText(err) });
          process.exit(1);
        },
      );
    };
    // a second signal while draining changes nothing: the drain timeout bounds the wait
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  } catch (err) {
    log('failed', { error: errorText(err) });
    process.stderr.write(`${role}: ${errorText(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
}

/** The chat role: sessions, not requests; SIGTERM drains them (or, with DRAIN_NOTICE=false, drops them). */
async function runChat(env: Env, at: { host: string; port: number; podName: string }, log: EventLog): Promise<void> {
  const chat = await startChat({
    ...at, tcpPort: intKnob(env, 'TCP_PORT', 9000, 0, 65535), drainNotice: env.DRAIN_NOTICE !== 'false',
    noticeGraceMs: intKnob(env, 'NOTICE_GRACE_MS', 2000), log,
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log('signal', { signal, sessions: chat.sessions() });
    void chat.drain().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await main(process.argv.slice(2), process.env);
