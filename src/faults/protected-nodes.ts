import { readFile } from 'node:fs/promises';
import { apiMessage, apiStatus, isLivePod, retryApiCall, type KubeClients } from '../kube/index.js';
import type { FaultContext } from './fault.js';

/** A node no node fault may pick, and why. */
export interface ProtectedNode {
  node: string;
  why: string;
}

/**
 * The environment variable naming the node crt runs on, set from the downward API
 * (`valueFrom: {fieldRef: {fieldPath: spec.nodeName}}`, as deploy/k8s/cronjob.yaml does).
 */
export const CRT_NODE_ENV = 'CRT_NODE_NAME';
/** crt's load workers (Job workers and k6-operator runners) carry both labels. */
export const LOAD_WORKER_SELECTOR = 'app.kubernetes.io/managed-by=crt,crt.io/run-id';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The nodes crt itself and its load workers run on. crt's own node comes from CRT_NODE_NAME, or,
 * in a pod without it, from its own pod (the pod's name is its hostname, its namespace the service
 * account's); outside a cluster there is none. A lookup that fails is logged, not fatal: the guard
 * is a safety net, and the plan's pick still applies.
 */
export async function protectedNodes(kube: KubeClients, ctx: FaultContext): Promise<ProtectedNode[]> {
  const out: ProtectedNode[] = [];
  const own = await ownNode(kube, ctx);
  if (own) out.push({ node: own, why: 'crt runs there' });
  try {
    const workers = await retryApiCall(() => kube.core.listPodForAllNamespaces({ labelSelector: LOAD_WORKER_SELECTOR }), { clock: ctx.clock, signal: ctx.signal });
    for (const pod of workers.items) {
      const node = pod.spec?.nodeName;
      if (node && isLivePod(pod) && !out.some((p) => p.node === node)) out.push({ node, why: `crt's load worker ${pod.metadata?.namespace}/${pod.metadata?.name} runs there` });
    }
  } catch (err) {
    ctx.log.warn({ err: apiMessage(err) }, 'cannot list crt\'s load workers: their nodes are not protected from node faults');
  }
  return out;
}

async function ownNode(kube: KubeClients, ctx: FaultContext): Promise<string | undefined> {
  const env = ctx.hostEnv ?? process.env;
  if (env[CRT_NODE_ENV]) return env[CRT_NODE_ENV];
  // not in a pod: crt runs outside the cluster (or on the embedded one, which has no node of its own)
  if (!env.KUBERNETES_SERVICE_HOST || !env.HOSTNAME) return undefined;
  const namespace = env.POD_NAMESPACE ?? (await readFile(SERVICE_ACCOUNT_NAMESPACE, 'utf8').then((s) => s.trim(), () => undefined));
  if (!namespace) return undefined;
  try {
    const pod = await retryApiCall(() => kube.core.readNamespacedPod({ namespace, name: env.HOSTNAME! }), { clock: ctx.clock, signal: ctx.signal });
    return pod.spec?.nodeName;
  } catch (err) {
    // 404: crt's pod is in another cluster than the one under test
    if (apiStatus(err) !== 404) ctx.log.warn({ err: apiMessage(err) }, `cannot read crt's own pod ${namespace}/${env.HOSTNAME}: its node is not protected from node faults (set ${CRT_NODE_ENV})`);
    return undefined;
  }
}
