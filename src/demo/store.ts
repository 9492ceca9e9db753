import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, intKnob, type Env } from './config.js';
import { errorText, type EventLog } from './event-log.js';
import { HttpError, dispatch, readJson, route, sendJson, type Route } from './http-io.js';
import type { DemoApp } from './server-kit.js';
import { SnapshotFile } from './snapshot-file.js';
import { StoreData } from './store-data.js';
import { createStoreReplica } from './store-replica.js';
import { readRoutes } from './store-routes.js';

/**
 * `store`: the stateful end of the chain. In memory, seeded with customers 1..1000; with
 * DATA_DIR it survives restarts through a snapshot file, which is what backup and restore
 * drills destroy and bring back. `ROLE=replica` makes it a read-only copy of the primary
 * (store-replica.ts).
 */
export async function createStore(env: Env, log: EventLog): Promise<DemoApp> {
  const role = env.ROLE?.trim() || 'primary';
  if (role === 'replica') return createStoreReplica(env, log);
  if (role !== 'primary') throw new ConfigError(`ROLE must be primary or replica, got "${role}"`);
  return createPrimary(env, log);
}

/** A restore carries the whole data set: far more than the 64 KiB a normal request may send. */
export const SNAPSHOT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

async function createPrimary(env: Env, log: EventLog): Promise<DemoApp> {
  const dataDir = env.DATA_DIR?.trim();
  const snapshots = dataDir ? await SnapshotFile.open(dataDir, intKnob(env, 'SNAPSHOT_DEBOUNCE_MS', 200), log) : undefined;
  const data = snapshots?.store ?? StoreData.seeded();
  const changed = () => snapshots?.changed();
  // a restore or a wipe is answered only once it is on disk: the drill's next step relies on it
  const persisted = async () => snapshots?.flush();
  const snapshot = (res: ServerResponse) => sendJson(res, 200, data.snapshot(new Date()));

  const routes: Route[] = [
    ...readRoutes(() => data),
    route('PUT', '/kv/*key', async (req, res, [key = '']) => {
      const created = data.put(key, await readJson(req));
      changed();
      sendJson(res, created ? 201 : 200, { key, created });
    }),
    route('DELETE', '/kv/*key', (_req, res, [key = '']) => {
      if (!data.delete(key)) throw new HttpError(404, 'no such key', { key });
      changed();
      res.writeHead(204).end();
    }),
    route('POST', '/votes', (req, res) => vote(req, res, data, changed)),
    route('GET', '/stats', (_req, res) => sendJson(res, 200, { role: 'primary', ...data.stats(), snapshot: snapshots?.info() ?? null })),
    // what replicas poll: the whole data set each time, simple and small enough for the demo
    route('GET', '/replication/snapshot', (_req, res) => snapshot(res)),
    // The drill's admin routes: no authentication, as befits a demo on loopback; never expose
    // a store like this one.
    route('GET', '/admin/snapshot', (_req, res) => snapshot(res)),
    route('PUT', '/admin/snapshot', async (req, res) => {
      const restored = parseSnapshot(await readJson(req, SNAPSHOT_BODY_LIMIT_BYTES));
      data.replaceWith(restored);
      changed();
      await persisted();
      log('restored', data.stats());
      sendJson(res, 200, { restored: true, ...data.stats() });
    }),
    route('DELETE', '/admin/data', async (_req, res) => {
      const wiped = data.stats();
      data.clear();
      changed();
      await persisted();
      log('wiped', wiped);
      sendJson(res, 200, { wiped });
    }),
  ];

  return {
    describe: () => ({ service: 'store', role: 'primary', routes: routes.map((r) => `${r.method} ${r.template}`), dataDir: dataDir ?? null }),
    handle: (req, res) => dispatch(routes, req, res),
    // the last changes are still only in memory: a clean shutdown must not lose them
    close: async () => snapshots?.flush(),
  };
}

function parseSnapshot(body: unknown): StoreData {
  try {
    return StoreData.fromSnapshot(body);
  } catch (err) {
    throw new HttpError(400, `not a snapshot this store can restore: ${errorText(err)}`);
  }
}

async function vote(req: IncomingMessage, res: ServerResponse, data: StoreData, changed: () => void): Promise<void> {
  const body = await readJson(req);
  const option = typeof body === 'object' && body !== null ? (body as { option?: unknown }).option : undefined;
  if (!StoreData.isOption(option)) {
    throw new HttpError(400, 'body must be {"option": "<label>"}: 1-32 letters, digits, "_" or "-"');
  }
  const count = data.vote(option);
  changed();
  sendJson(res, 201, { option, count });
}
