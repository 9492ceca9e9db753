import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  /** the user's name in the file (its identity is the certificate's subject) */
  user: string;
  certPem: string;
  keyPem: string;
}

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** A kubeconfig with one cluster, one client-certificate user and one current context; certificates inline. */
export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const context = `${spec.user}@crt`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'crt', cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.user, user: { 'client-certificate-data': b64(spec.certPem), 'client-key-data': b64(spec.keyPem) } }],
    contexts: [{ name: context, context: { cluster: 'crt', user: spec.user } }],
    'current-context': context,
    preferences: {},
  });
}
