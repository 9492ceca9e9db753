import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KitConfig } from './config.js';
import { errorText, type EventLog } from './event-log.js';
import { HttpError, sendError, sendJson } from './http-io.js';

/**
 * The plumbing every demo role shares: probes, the load knobs, identity headers and a graceful
 * termination that behaves the way Kubernetes needs it to.
 */

/** What a role plugs into the kit. */
export interface DemoApp {
  /** Called for GET / (after the knobs): a small description of the service. */
  describe(): Record<string, unknown>;
  /** Called for every request that is not a probe, after the knobs were applied. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Called once when the server has drained (or gave up draining), before the process exits. */
  close(): Promise<void>;
}

export type TerminationOutcome = 'drained' | 'timeout';

export interface PodServer {
  /** e.g. http://127.88.0.3:8080 */
  readonly url: string;
  /** Starts graceful termination (idempotent); resolves once drained or DRAIN_TIMEOUT_MS ran out. */
  terminate(): Promise<TerminationOutcome>;
}

/** What the probes report, and the responses still to be answered. */
interface PodState {
  ready: boolean;
  terminating: boolean;
  open: Set<ServerResponse>;
}

export async function startPodServer(app: DemoApp, cfg: KitConfig, log: EventLog): Promise<PodServer> {
  const state: PodState = { ready: false, terminating: false, open: new Set() };
  const server = http.createServer(requestListener(app, cfg, state, log, performance.now() + cfg.warmupMs));
  await listen(server, cfg);
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  log('started', { url, pid: process.pid });
  const readyTimer = setTimeout(() => {
    state.ready = true;
    log('ready', { url });
  }, cfg.readyDelayMs);

  let termination: Promise<TerminationOutcome> | undefined;
  const terminate = (): Promise<TerminationOutcome> => {
    if (termination) return termination;
    clearTimeout(readyTimer);
    state.ready = false;
    state.terminating = true;
    log('terminating', { inFlight: state.open.size, shutdownDelayMs: cfg.shutdownDelayMs, drainTimeoutMs: cfg.drainTimeoutMs });
    termination = drain(server, state.open, cfg, log).finally(() => app.close());
    return termination;
  };
  return { url, terminate };
}

function requestListener(app: DemoApp, cfg: KitConfig, state: PodState, log: EventLog, warmUntil: number): http.RequestListener {
  return (req, res) => {
    state.open.add(res);
    res.once('close', () => state.open.delete(res));
    res.setHeader('x-served-by', cfg.podName);
    res.setHeader('x-version', cfg.version);
    // Keep-alive connections stick to this pod whatever the endpoints say: closing them once
    // terminating makes clients reconnect through the Service and land on a pod that stays.
    if (state.terminating) res.setHeader('connection', 'close');
    const pathname = new URL(req.url ?? '/', 'http://demo').pathname;
    if (pathname === '/healthz') return sendJson(res, 200, { alive: true });
    if (pathname === '/readyz') return sendJson(res, state.ready ? 200 : 503, { ready: state.ready, terminating: state.terminating });
    const serve = async () => {
      // a cold cache, say: the routes answer 503 until warm, whatever /readyz says (READY_DELAY_MS)
      if (performance.now() < warmUntil) throw new HttpError(503, 'warming up', { warmupMs: cfg.warmupMs });
      await applyKnobs(cfg);
      if (pathname === '/' && req.method === 'GET') return sendJson(res, 200, { ...app.describe(), pod: cfg.podName, version: cfg.version });
      await app.handle(req, res);
    };
    serve().catch((err: unknown) => answerError(res, err, log));
  };
}

/**
 * Serves on during the shutdown delay, since endpoints drop the pod only after a while (a real
 * preStop sleep); then stops accepting and lets in-flight requests finish.
 */
async function drain(server: http.Server, open: Set<ServerResponse>, cfg: KitConfig, log: EventLog): Promise<TerminationOutcome> {
  await sleep(cfg.shutdownDelayMs);
  for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
  const inFlight = open.size;
  const closed = new Promise<TerminationOutcome>((resolve) => server.close(() => resolve('drained')));
  server.closeIdleConnections();
  log('closed', { inFlight });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<TerminationOutcome>((resolve) => (timer = setTimeout(() => resolve('timeout'), cfg.drainTimeoutMs)));
  const outcome = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    log('drain-timeout', { abandoned: open.size, drainTimeoutMs: cfg.drainTimeoutMs });
    server.closeAllConnections();
  } else {
    log('drained', { inFlightAtClose: inFlight });
  }
  return outcome;
}

/** LATENCY_MS, CPU_MS and FAIL_RATE: what makes the demo slow, busy or flaky on demand. */
async function applyKnobs(cfg: KitConfig): Promise<void> {
  if (cfg.latencyMs > 0) await sleep(cfg.latencyMs);
  if (cfg.cpuMs > 0) burnCpu(cfg.cpuMs);
  if (cfg.failRate > 0 && Math.random() < cfg.failRate) {
    throw new HttpError(500, 'injected failure', { failRate: cfg.failRate });
  }
}

function burnCpu(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy on purpose: CPU_MS makes load show up as CPU usage, which is what an HPA scales on
  }
}

function answerError(res: ServerResponse, err: unknown, log: EventLog): void {
  if (res.headersSent) {
    // half a response cannot be taken back; cutting the connection is the honest signal
    res.destroy();
    return;
  }
  if (err instanceof HttpError) return sendError(res, err);
  log('request-failed', { error: errorText(err) });
  sendJson(res, 500, { error: 'internal error', detail: errorText(err) });
}

function listen(server: http.Server, cfg: KitConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
