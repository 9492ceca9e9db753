import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  caPem: string;
  /** the kubelet's serving certificate (SAN: the node IP and name) */
  server: { certPem: string; keyPem: string };
  /** a client certificate signed by the CA (the API server's kubelet client) */
  client: { certPem: string; keyPem: string };
  /** a client certificate from another CA: the kubelet must refuse it */
  stranger: { certPem: string; keyPem: string };
}

/** A throwaway PKI made with the openssl CLI (EC P-256 keys, valid one day) in `dir`. */
export async function makePki(dir: string, node: { name: string; ip: string }): Promise<TestPki> {
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = async (name: string) => run('openssl', ['req', '-x509', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`), '-subj', `/CN=${name}`, '-days', '1']);
  await ca('ca');
  await ca('other-ca');
  const leaf = async (name: string, cn: string, caName: string, ext: string) => {
    await writeFile(f(`${name}.ext`), ext);
    await run('openssl', ['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await run('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.crt`), '-CAkey', f(`${caName}.key`), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`)]);
    return { certPem: await readFile(f(`${name}.crt`), 'utf8'), keyPem: await readFile(f(`${name}.key`), 'utf8') };
  };
  const server = await leaf('server', `system:node:${node.name}`, 'ca', `subjectAltName=IP:${node.ip},DNS:${node.name}\nextendedKeyUsage=serverAuth\n`);
  const client = await leaf('client', 'kube-apiserver-kubelet-client', 'ca', 'extendedKeyUsage=clientAuth\n');
  const stranger = await leaf('stranger', 'kube-apiserver-kubelet-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return { caPem: await readFile(f('ca.crt'), 'utf8'), server, client, stranger };
}
