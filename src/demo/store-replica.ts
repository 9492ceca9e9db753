import { setTimeout as sleep } from 'node:timers/promises';
import { intKnob, serviceUrl, type Env } from './config.js';
import { errorText, type EventLog } from './event-log.js';
import { HttpError, dispatch, route, sendJson, type Route } from './http-io.js';
import { sourceAddress } from './proxy-app.js';
import type { DemoApp } from './server-kit.js';
import { StoreData } from './store-data.js';
import { WRITE_ROUTES, readRoutes } from './store-routes.js';
import { Upstream } from './upstream.js';

/**
 * `store` with `ROLE=replica`: a read-only copy of the primary (PRIMARY_URL, else the `store`
 * Service variables) that fetches the primary's whole snapshot every REPLICATION_INTERVAL_MS.
 * While the primary is gone it keeps serving its last copy: reads may be stale by the time since
 * the last sync (`lagMs` in GET /stats), which is the trade-off of asynchronous replication.
 * It starts listening only once it holds a first copy, so it is never Ready with nothing to serve.
 */
export async function createStoreReplica(env: Env, log: EventLog): Promise<DemoApp> {
  const primary = serviceUrl(env, 'store', 'PRIMARY_URL');
  const intervalMs = intKnob(env, 'REPLICATION_INTERVAL_MS', 500, 10);
  const upstream = new Upstream('store', primary, intKnob(env, 'UPSTREAM_TIMEOUT_MS', 2000, 1), sourceAddress(env));
  const replication = new Replication(upstream, intervalMs, log);
  await replication.firstCopy();
  replication.start();

  const routes: Route[] = [
    ...readRoutes(() => replication.data),
    route('GET', '/stats', (_req, res) => sendJson(res, 200, { role: 'replica', ...replication.data.stats(), primary: primary.origin, ...replication.status() })),
    ...WRITE_ROUTES.map(([method, template]) =>
      route(method, template, () => {
        throw new HttpError(503, 'read-only replica');
      }),
    ),
  ];
  return {
    describe: () => ({ service: 'store', role: 'replica', primary: primary.origin, intervalMs, routes: routes.map((r) => `${r.method} ${r.template}`) }),
    handle: (req, res) => dispatch(routes, req, res),
    close: () => replication.close(),
  };
}

export interface ReplicationStatus {
  /** when the last copy was taken (ISO time), null before the first */
  lastSyncAt: string | null;
  /** how old that copy is now: reads are at most this stale */
  lagMs: number | null;
  /** failed polls since start */
  syncErrors: number;
  lastError: string | null;
}

/** The polling loop: one request at a time, the next one intervalMs after the previous ended. */
class Replication {
  private copy: StoreData | undefined;
  private lastSyncMs: number | undefined;
  private errors = 0;
  private lastError: string | undefined;
  private failing = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly intervalMs: number,
    private readonly log: EventLog,
  ) {}

  get data(): StoreData {
    if (!this.copy) throw new HttpError(503, 'replica holds no copy yet');
    return this.copy;
  }

  /** Polls until the primary has answered once (a replica is of no use before). */
  async firstCopy(): Promise<void> {
    while (!(await this.sync())) await sleep(this.intervalMs);
  }

  start(): void {
    this.loop ??= (async () => {
      const signal = this.stop.signal;
      while (!signal.aborted) {
        const slept = await sleep(this.intervalMs, true, { signal }).catch(() => false);
        if (slept) await this.sync();
      }
    })();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    this.upstream.close();
  }

  status(): ReplicationStatus {
    const lastSyncMs = this.lastSyncMs;
    return {
      lastSyncAt: lastSyncMs === undefined ? null : new Date(lastSyncMs).toISOString(),
      lagMs: lastSyncMs === undefined ? null : Date.now() - lastSyncMs,
      syncErrors: this.errors,
      lastError: this.lastError ?? null,
    };
  }

  /** @returns whether a fresh copy was taken; failures are counted and logged once per outage */
  private async sync(): Promise<boolean> {
    try {
      const answer = await this.upstream.send({ method: 'GET', path: '/replication/snapshot' });
      if (answer.status !== 200) throw new Error(`primary answered ${answer.status}: ${answer.body.toString('utf8').trim().slice(0, 200)}`);
      this.copy = StoreData.fromSnapshot(JSON.parse(answer.body.toString('utf8')));
      this.lastSyncMs = Date.now();
      if (this.failing) this.log('sync-recovered', { syncErrors: this.errors, ...this.copy.stats() });
      this.failing = false;
      return true;
    } catch (err) {
      this.errors++;
      this.lastError = err instanceof HttpError ? `${err.message}: ${JSON.stringify(err.details)}` : errorText(err);
      // one line per outage, not one per poll: the primary may be gone for minutes
      if (!this.failing) this.log('sync-failed', { error: this.lastError, primary: this.upstream.baseUrl.origin, keepsServing: this.copy !== undefined });
      this.failing = true;
      return false;
    }
  }
}
