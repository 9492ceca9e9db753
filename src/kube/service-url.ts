import { EnvironmentError } from '../core/index.js';
import type { KubeClients } from './clients.js';
import { controlPlaneSwitchBase, loopbackAddress } from './embedded-annotations.js';

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
  // the embedded cluster on the real control plane: a loopback address of kube-proxy's, its ClusterIPs being in namespaces of their own
  const loopback = loopbackAddress(svc.metadata?.annotations);
  if (loopback) return `${scheme}://${loopback}:${p.port}`;
  const ingress = svc.status?.loadBalancer?.ingress?.[0];
  if (ingress?.ip || ingress?.hostname) return `${scheme}://${ingress.ip ?? ingress.hostname}:${p.port}`;
  if (p.nodePort) {
    const nodes = await k.core.listNode();
    const address = nodes.items[0]?.status?.addresses?.find((a) => a.type === 'ExternalIP' || a.type === 'InternalIP')?.address;
    if (address) return `${scheme}://${address.startsWith('127.') ? '127.0.0.1' : address}:${p.nodePort}`;
  }
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') throw new EnvironmentError(`service ${namespace}/${name} is headless: it has no address to send load to`);
  // 198.18.0.0/15 (RFC 2544) lives only in the network namespaces of crt's real-control-plane cluster: from
  // here it would be routed off the machine, so it is never dialled
  if (/^198\.1[89]\./.test(ip)) {
    throw new EnvironmentError(`service ${namespace}/${name} has ClusterIP ${ip}, inside the embedded cluster's network namespaces, and no loopback address yet`,
      { hint: 'kube-proxy annotates each Service with crt.io/loopback-address once it listens for it: wait for the cluster to be available' });
  }
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

/**
 * Where a pod in the cluster reaches the Service behind `url`, when `url` is the loopback address crt's
 * kube-proxy gives it on this machine (crt.io/loopback-address, the embedded cluster on the real control
 * plane): the Service's ClusterIP, the port unchanged (the loopback address listens on the Service's
 * ports). A pod's 127/8 is its own node's loopback, where nothing of the Service answers. Any other URL
 * (or a Service that cannot be listed) is returned as it is.
 */
export async function inClusterUrl(k: KubeClients, url: string): Promise<string> {
  const parsed = new URL(url);
  if (!/^127\./.test(parsed.hostname)) return url;
  // Only the embedded cluster on the real control plane (it marks Namespace kube-system, which crt may read)
  // gives Services loopback addresses that are not their ClusterIPs; on the builtin one the loopback address
  // is the ClusterIP, which its pods reach too. Listing every Service is a permission deploy/k8s/rbac.yaml
  // does not grant: it is asked for only there.
  if (!(await controlPlaneSwitchBase(k.core).catch(() => undefined))) return url;
  const services = await k.core.listServiceForAllNamespaces().then((l) => l.items, () => []);
  const svc = services.find((s) => loopbackAddress(s.metadata?.annotations) === parsed.hostname);
  const ip = svc?.spec?.clusterIP;
  if (!ip || ip === 'None') return url;
  parsed.hostname = ip;
  return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}
