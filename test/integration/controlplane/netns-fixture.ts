/**
 * Run by netns.test.ts inside `unshare --net --mount --pid`, after it made network namespace `cpns`
 * (198.18.0.1, reached over a veth from 198.18.0.2): starts the control plane inside `cpns` through
 * `wrap`, prints what the test checks as one JSON line, stops it.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from '../../../src/localcluster/controlplane/index.js';

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
  let slices = await list();
  for (let i = 0; i < 100 && !slices.items.some((s) => s.endpoints?.length); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    slices = await list();
  }
  const ownNet = readlinkSync('/proc/self/ns/net');
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
