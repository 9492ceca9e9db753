import type { KObject } from '../api/index.js';
import type { Store } from '../store/index.js';
import { proxyPort } from './host-ports.js';

/**
 * The Docker-links-style variables the kubelet gives every container for the Services of its namespace
 * that exist when it starts (`enableServiceLinks`): `GATEWAY_SERVICE_HOST`, `GATEWAY_SERVICE_PORT`,
 * `GATEWAY_SERVICE_PORT_HTTP`, `GATEWAY_PORT=tcp://…`, `GATEWAY_PORT_80_TCP_ADDR`, …
 */
export function serviceEnv(store: Store, namespace: string): Record<string, string> {
  // Where the proxy really listens (a low port may be remapped, see host-ports.ts).
  return serviceLinks(store.snapshot('services', namespace), proxyPort);
}

/** The same variables for `services` (one namespace's), `portOf` giving the port a Service port is reached on. */
export function serviceLinks(services: readonly KObject[], portOf: (svc: KObject, port: number) => number = (_svc, port) => port): Record<string, string> {
  const env: Record<string, string> = {};
  for (const svc of services) {
    const ip: string | undefined = svc.spec?.clusterIP;
    let ports: any[] = svc.spec?.ports ?? [];
    if (!ip || ip === 'None' || ports.length === 0) continue;
    const prefix = svc.metadata.name!.toUpperCase().replace(/-/g, '_');
    ports = ports.map((p) => ({ ...p, port: portOf(svc, p.port) }));
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(ports[0].port);
    for (const p of ports) {
      if (p.name) env[`${prefix}_SERVICE_PORT_${String(p.name).toUpperCase().replace(/-/g, '_')}`] = String(p.port);
      const proto = String(p.protocol ?? 'TCP');
      const base = `${prefix}_PORT_${p.port}_${proto}`;
      env[base] = `${proto.toLowerCase()}://${ip}:${p.port}`;
      env[`${base}_PROTO`] = proto.toLowerCase();
      env[`${base}_PORT`] = String(p.port);
      env[`${base}_ADDR`] = ip;
    }
    env[`${prefix}_PORT`] = `${String(ports[0].protocol ?? 'TCP').toLowerCase()}://${ip}:${ports[0].port}`;
  }
  return env;
}
