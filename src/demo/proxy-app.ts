import type { Env } from './config.js';
import { intKnob } from './config.js';
import { dispatch, route, type Route } from './http-io.js';
import type { DemoApp } from './server-kit.js';
import { Upstream, forward } from './upstream.js';

/**
 * A stateless hop of the chain (gateway, customer-service): each route maps a request to a
 * path on the one upstream Service and relays the answer, status and body unchanged, so a
 * 404 from the store reaches the client as a 404 and a 502 still names the hop that broke.
 */
export interface ProxyRoute {
  method: string;
  /** as for `route()`: `/customers/:id` */
  template: string;
  /** the upstream path for this request, from the route's decoded captures */
  target(params: string[]): string;
}

export interface ProxyAppOptions {
  service: string;
  upstreamName: string;
  upstreamUrl: URL;
  routes: readonly ProxyRoute[];
  /** where reads go when the upstream is unavailable (see `forward`) */
  fallback?: { name: string; url: URL };
}

/** A pod's loopback IP (POD_IP, set by the embedded cluster); none outside a cluster or off loopback. */
export function sourceAddress(env: Env): string | undefined {
  const ip = env.POD_IP?.trim();
  return ip && /^127\.\d+\.\d+\.\d+$/.test(ip) && ip !== '127.0.0.1' ? ip : undefined;
}

export function createProxyApp(env: Env, o: ProxyAppOptions): DemoApp {
  const timeoutMs = intKnob(env, 'UPSTREAM_TIMEOUT_MS', 2000, 1);
  const upstream = new Upstream(o.upstreamName, o.upstreamUrl, timeoutMs, sourceAddress(env));
  const fallback = o.fallback && new Upstream(o.fallback.name, o.fallback.url, timeoutMs, sourceAddress(env));
  const routes: Route[] = o.routes.map((r) => route(r.method, r.template, (req, res, params) => forward(upstream, req, res, r.target(params), fallback)));
  return {
    describe: () => ({
      service: o.service,
      upstream: { name: o.upstreamName, url: o.upstreamUrl.origin, timeoutMs: upstream.timeoutMs },
      ...(fallback ? { fallback: { name: fallback.name, url: fallback.baseUrl.origin, for: 'GET' } } : {}),
      routes: o.routes.map((r) => `${r.method} ${r.template}`),
    }),
    handle: (req, res) => dispatch(routes, req, res),
    close: async () => {
      upstream.close();
      fallback?.close();
    },
  };
}
