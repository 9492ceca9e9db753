import { ApiException, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { identities } from './cluster-pki.js';

/** The ClusterRoleBinding that lets the API server call kubelets (logs, exec, port-forward), as kubeadm creates it. */
export const kubeletApiAdminBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'kube-apiserver-kubelet-client' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: identities.apiserverKubeletClient.commonName }],
};

/**
 * What a real cluster has after `kubeadm init` that nodes need and the API server does not create by
 * itself. kube-proxy's (`system:node-proxier` for `system:kube-proxy`) and the nodes' (the Node
 * authorizer) come with the API server's bootstrap policy. Creating what already exists is fine.
 */
export async function bootstrapCluster(adminKubeconfigYaml: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromString(adminKubeconfigYaml);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  try {
    await rbac.createClusterRoleBinding({ body: kubeletApiAdminBinding });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
}
