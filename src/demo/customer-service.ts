import { serviceUrl, type Env } from './config.js';
import { createProxyApp } from './proxy-app.js';
import type { DemoApp } from './server-kit.js';
import { customerKey } from './store-data.js';

/** `customer-service`: the middle hop, turning the public API into the store's keys. */
export async function createCustomerService(env: Env): Promise<DemoApp> {
  return createProxyApp(env, {
    service: 'customer-service',
    upstreamName: 'store',
    upstreamUrl: serviceUrl(env, 'store', 'STORE_URL'),
    routes: [
      // the id is re-encoded so that "/customers/..%2Fstats" stays a key, never a store path
      { method: 'GET', template: '/customers/:id', target: ([id = '']) => `/kv/${encodeURIComponent(customerKey(id))}` },
      { method: 'POST', template: '/votes', target: () => '/votes' },
      { method: 'GET', template: '/votes', target: () => '/votes' },
    ],
  });
}
