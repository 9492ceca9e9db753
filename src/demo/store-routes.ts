import type { ServerResponse } from 'node:http';
import { HttpError, route, sendJson, type Route } from './http-io.js';
import type { StoreData } from './store-data.js';

/**
 * The store's read routes, shared by the primary and its replicas: `data` is asked on every
 * request because a replica swaps its whole copy at each sync.
 */
export function readRoutes(data: () => StoreData): Route[] {
  return [
    route('GET', '/kv/*key', (_req, res, [key = '']) => getKey(res, data(), key)),
    route('GET', '/votes', (_req, res) => sendJson(res, 200, data().totals())),
  ];
}

function getKey(res: ServerResponse, data: StoreData, key: string): void {
  const value = data.get(key);
  if (value === undefined) throw new HttpError(404, 'no such key', { key });
  sendJson(res, 200, value);
}

/** Every method/path pair that changes data, so a replica can refuse each one by name. */
export const WRITE_ROUTES = [
  ['PUT', '/kv/*key'],
  ['DELETE', '/kv/*key'],
  ['POST', '/votes'],
  ['PUT', '/admin/snapshot'],
  ['DELETE', '/admin/data'],
] as const;
