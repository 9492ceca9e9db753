import type { IncomingMessage, ServerResponse } from 'node:http';
import { intKnob, type Env } from './config.js';
import type { EventLog } from './event-log.js';
import { HttpError, dispatch, readJson, route, sendJson, type Route } from './http-io.js';
import type { DemoApp } from './server-kit.js';
import { SnapshotFile } from './snapshot-file.js';
import { StoreData } from './store-data.js';

/**
 * `store`: the stateful end of the chain. In memory, seeded with customers 1..1000; with
 * DATA_DIR it survives restarts through a snapshot file, which is what backup and restore
 * drills destroy and bring back.
 */
export async function createStore(env: Env, log: EventLog): Promise<DemoApp> {
  const dataDir = env.DATA_DIR?.trim();
  const snapshots = dataDir ? await SnapshotFile.open(dataDir, intKnob(env, 'SNAPSHOT_DEBOUNCE_MS', 200), log) : undefined;
  const data = snapshots?.store ?? StoreData.seeded();
  const changed = () => snapshots?.changed();

  const routes: Route[] = [
    route('GET', '/kv/*key', (_req, res, [key = '']) => getKey(res, data, key)),
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
    route('GET', '/votes', (_req, res) => sendJson(res, 200, data.totals())),
    route('GET', '/stats', (_req, res) => sendJson(res, 200, { ...data.stats(), snapshot: snapshots?.info() ?? null })),
  ];

  return {
    describe: () => ({ service: 'store', routes: routes.map((r) => `${r.method} ${r.template}`), dataDir: dataDir ?? null }),
    handle: (req, res) => dispatch(routes, req, res),
    // the last changes are still only in memory: a clean shutdown must not lose them
    close: async () => snapshots?.flush(),
  };
}

function getKey(res: ServerResponse, data: StoreData, key: string): void {
  const value = data.get(key);
  if (value === undefined) throw new HttpError(404, 'no such key', { key });
  sendJson(res, 200, value);
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
