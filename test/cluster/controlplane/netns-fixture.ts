/**
 * A stand-in for a kubelet's HTTPS API on 198.18.0.2 (this side of the veth), with the serving
 * certificate nodeCredentials() gave: it answers /healthz to a client whose certificate the cluster CA
 * signed, and records who that client was.
 */
async function kubeletStub(creds: { servingCertPem: string; servingKeyPem: string; caPem: string }, callers: string[]): Promise<{ port: number; close(): void }> {
  const server = createServer({ cert: creds.servingCertPem, key: creds.servingKeyPem, ca: creds.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    callers.push(`${String((req.socket as TLSSocket).getPeerCertificate().subject.CN)} GET ${req.url}`);
    res.end('ok');
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '198.18.0.2', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

/**
 * Run by netns.test.ts inside `unshare --net --mount --pid`, after it made network namespace `cpns`
 * (198.18.0.1, reached over a veth from 198.18.0.2): starts the control plane inside `cpns` through
 * `wrap`, prints what the test checks as one JSON line, stops it.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from '../../../src/localcluster/controlplane/index.js';
import { until } from '../../helpers/until.js';

const [binDir, stateDir] = process.argv.slice(2) as [string, string];
const progress: string[] = [];
const cp = new ControlPlane({
  binDir, stateDir, bindHost: '198.18.0.1', onProgress: (l) => progress.push(l),
  wrap: (file, args) => ({ file: 'ip', args: ['netns', 'exec', 'cpns', file, ...args] }),
});
const out: Record<string, unknown> = { progress };
try {
  const { url, adminKubeconfig } = await cp.start();
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const list = () => discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes' });
  // the EndpointSlice mirrors the Endpoints the API server writes: give it up to 20 s
  const slices = await until('the kubernetes EndpointSlice with an endpoint', async () => {
    const found = await list();
    return found.items.some((s) => s.endpoints?.length) ? found : undefined;
  }, 20_000, 200).catch(list);
  const ownNet = readlinkSync('/proc/self/ns/net');
  // the API server calls a kubelet (as for kubectl logs) with its kubelet client certificate, checking the kubelet's
  const creds = await cp.nodeCredentials('node-a', ['198.18.0.2']);
  const callers: string[] = [];
  const stub = await kubeletStub(creds, callers);
  try {
    const asNode = new KubeConfig();
    asNode.loadFromFile(creds.kubeconfig);
    const nodeApi = asNode.makeApiClient(CoreV1Api);
    await nodeApi.createNode({ body: { metadata: { name: 'node-a' } } });
    const node = await nodeApi.readNode({ name: 'node-a' });
    node.status = { addresses: [{ type: 'InternalIP', address: '198.18.0.2' }], daemonEndpoints: { kubeletEndpoint: { Port: stub.port } } };
    await nodeApi.replaceNodeStatus({ name: 'node-a', body: node });
    out.kubeletAnswer = await kc.makeApiClient(CoreV1Api).connectGetNodeProxyWithPath({ name: 'node-a', path: 'healthz' });
    out.kubeletCallers = callers;
  } finally {
    stub.close();
  }
  Object.assign(out, {
    url,
    endpoints: slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses.map((a) => `${a}:${s.ports?.[0]?.port}`))),
    programs: cp.pids.map((pid) => ({ exe: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], otherNetns: readlinkSync(`/proc/${pid}/ns/net`) !== ownNet })),
  });
} catch (err) {
  out.error = (err as Error).message;
} finally {
  await cp.stop();
}
out.after = cp.pids;
process.stdout.write(`${JSON.stringify(out)}\n`);
