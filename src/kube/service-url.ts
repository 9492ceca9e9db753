import { EnvironmentError } from '../core/index.js';
import type { KubeClients } from './clients.js';

/** `http://gateway.demo.svc:80/…` and `gateway.demo.svc.cluster.local` name Service demo/gateway. */
export function serviceFromHost(hostname: string): { namespace: string; name: string } | undefined {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/.exec(hostname);
  return m ? { name: m[1]!, namespace: m[3]! } : undefined;
}

/**
 * The base URL at which this machine reaches a Service port: a LoadBalancer's ingress, else a NodePort on
 * the first node's address, else the ClusterIP (reachable here only when crt runs in the cluster or
 * against the embedded one, whose ClusterIPs are loopback addresses).
 */
export async function serviceUrl(k: KubeClients, namespace: string, name: string, port?: number | string): Promise<string> {
  const svc = await k.core.readNamespacedService({ namespace, name }).catch((err: unknown) => {
    const code = (err as { code?: number }).code;
    throw new EnvironmentError(code === 404 ? `service ${namespace}/${name} not found in ${k.server}` : `cannot read service ${namespace}/${name} from ${k.server}: ${(err as Error).message}`,
      { hint: code === 404 ? `kubectl get svc -n ${namespace}` : 'is the cluster reachable with this kubeconfig?' });
  });
  const ports = svc.spec?.ports ?? [];
  const p = port === undefined ? ports[0] : ports.find((x) => x.port === Number(port) || x.name === port);
  if (!p) throw new EnvironmentError(`service ${namespace}/${name} has no port ${port ?? ''}`, { hint: `ports: ${ports.map((x) => `${x.name ?? ''}:${x.port}`).join(', ') || '(none)'}` });
  const scheme = p.port === 443 || p.name === 'https' ? 'https' : 'http';
  const ingress = svc.status?.loadBalancer?.ingress?.[0];
  if (ingress?.ip || ingress?.hostname) return `${scheme}://${ingress.ip ?? ingress.hostname}:${p.port}`;
  if (p.nodePort) {
    const nodes = await k.core.listNode();
    const address = nodes.items[0]?.status?.addresses?.find((a) => a.type === 'ExternalIP' || a.type === 'InternalIP')?.address;
    if (address) return `${scheme}://${address.startsWith('127.') ? '127.0.0.1' : address}:${p.nodePort}`;
  }
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') throw new EnvironmentError(`service ${namespace}/${name} is headless: it has no address to send load to`);
  return `${scheme}://${ip}:${embeddedProxyPort(svc.metadata?.annotations, p.port)}`;
}

/** The embedded cluster proxies Service ports below 1024 on port + 10000 where it may not bind them. */
function embeddedProxyPort(annotations: Record<string, string> | undefined, port: number): number {
  for (const pair of annotations?.['crt.io/proxy-ports']?.split(',') ?? []) {
    const [from, to] = pair.split(':').map(Number);
    if (from === port && to) return to;
  }
  return port;
}
