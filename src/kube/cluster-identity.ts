import { EnvironmentError } from '../core/index.js';
import type { KubeClients } from './clients.js';

/**
 * Which cluster a journal entry acts on. `id` is the UID of the `kube-system` namespace: set by the
 * API server when the cluster was created, the same through every URL, context or kubeconfig that
 * reaches it, and new for each embedded cluster (its store is created at start). `server` is the URL
 * crt used, for messages only: the same cluster may be reached by several URLs.
 */
export interface ClusterIdentity {
  server: string;
  id: string;
}

/** The identity of the cluster `kube` reaches (one GET; crt computes it once per run or `crt revert`). */
export async function clusterIdentity(kube: KubeClients): Promise<ClusterIdentity> {
  let uid: string | undefined;
  try {
    uid = (await kube.core.readNamespace({ name: 'kube-system' })).metadata?.uid;
  } catch (err) {
    throw new EnvironmentError(`cannot read the identity of the cluster at ${kube.server} (the uid of namespace kube-system): ${(err as Error).message}`, {
      hint: 'crt binds its revert journal to the cluster by that uid: it needs get on namespaces/kube-system (deploy/k8s/rbac.yaml grants it)',
    });
  }
  if (!uid) throw new EnvironmentError(`the cluster at ${kube.server} gave namespace kube-system without a uid`, { hint: 'is this a Kubernetes API server?' });
  return { server: kube.server, id: uid };
}

/** Same cluster: same id, whatever URL reached it. */
export function sameCluster(a: ClusterIdentity, b: ClusterIdentity): boolean {
  return a.id === b.id;
}

/** `https://10.0.0.1:6443 (kube-system uid 6f0c…)`, for messages. */
export function describeCluster(c: ClusterIdentity): string {
  return `${c.server} (${c.id})`;
}
