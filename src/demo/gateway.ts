import { serviceUrl, type Env } from './config.js';
import { createProxyApp } from './proxy-app.js';
import type { DemoApp } from './server-kit.js';

/** `gateway`: the public entry (NodePort 30080), in front of customer-service. */
export async function createGateway(env: Env): Promise<DemoApp> {
  return createProxyApp(env, {
    service: 'gateway',
    upstreamName: 'customer-service',
    upstreamUrl: serviceUrl(env, 'customer-service', 'CUSTOMER_SERVICE_URL'),
    routes: [
      { method: 'GET', template: '/customers/:id', target: ([id = '']) => `/customers/${encodeURIComponent(id)}` },
      { method: 'POST', template: '/votes', target: () => '/votes' },
      { method: 'GET', template: '/votes', target: () => '/votes' },
    ],
  });
}
