import { optionalServiceUrl, serviceUrl, type Env } from './config.js';
import { createProxyApp } from './proxy-app.js';
import type { DemoApp } from './server-kit.js';
import { customerKey } from './store-data.js';

/**
 * `customer-service`: the middle hop, turning the public API into the store's keys. With a
 * store replica (STORE_REPLICA_URL, else the `store-replica` Service variables) its reads
 * survive the loss of the store's primary, possibly stale; writes still need the primary.
 */
export async function createCustomerService(env: Env): Promise<DemoApp> {
  const replica = optionalServiceUrl(env, 'store-replica', 'STORE_REPLICA_URL');
  return createProxyApp(env, {
    service: 'customer-service',
    upstreamName: 'store',
    upstreamUrl: serviceUrl(env, 'store', 'STORE_URL'),
    ...(replica ? { fallback: { name: 'store-replica', url: replica } } : {}),
    routes: [
      // the id is re-encoded so that "/customers/..%2Fstats" stays a key, never a store path
      { method: 'GET', template: '/customers/:id', target: ([id = '']) => `/kv/${encodeURIComponent(customerKey(id))}` },
      { method: 'POST', template: '/votes', target: () => '/votes' },
      { method: 'GET', template: '/votes', target: () => '/votes' },
    ],
  });
}
