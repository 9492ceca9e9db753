import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export const EMBEDDED_CONTEXT = 'crt-embedded';

/** The kubeconfig of the embedded cluster: plain HTTP on loopback, no credentials. */
export function embeddedKubeconfig(apiUrl: string): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    // Plain HTTP on loopback: client-node only allows http:// servers with this flag set.
    clusters: [{ name: EMBEDDED_CONTEXT, cluster: { server: apiUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'crt', user: {} }],
    contexts: [{ name: EMBEDDED_CONTEXT, context: { cluster: EMBEDDED_CONTEXT, user: 'crt', namespace: 'default' } }],
    'current-context': EMBEDDED_CONTEXT,
    preferences: {},
  });
}

/** Writes the embedded cluster's kubeconfig (mode 0600, as kubectl writes its own). */
export async function writeEmbeddedKubeconfig(file: string, apiUrl: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, embeddedKubeconfig(apiUrl), { mode: 0o600 });
}
