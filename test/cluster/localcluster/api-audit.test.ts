import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { embeddedKubeconfig } from '../../../src/kube/index.js';
import { ApiServer } from '../../../src/localcluster/apiserver/api-server.js';
import type { AuditRecord } from '../../../src/localcluster/index.js';
import { Store } from '../../../src/localcluster/store/store.js';
import { crt } from '../../helpers/cli.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const line = (r: AuditRecord) => `${r.verb} ${r.apiGroup || '""'} ${r.subresource ? `${r.resource}/${r.subresource}` : r.resource} ${r.namespace || '-'} ${r.name || '-'} ${r.code}`;

describe('embedded API server audit: every request with its RBAC attributes', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  it('tells its listener the verb, resource, namespace, name and status of what kubectl asks', async function () {
    requireKubectl(this);
    const store = new Store();
    for (const name of ['default', 'demo']) store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const records: AuditRecord[] = [];
    const server = new ApiServer({ store, audit: (r) => records.push(r) });
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeFile(kubeconfig, embeddedKubeconfig(await server.listen()));
    try {
      await writeFile(path.join(tmp.dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: demo}\ndata: {a: "1"}\n');
      await run('kubectl', ['--kubeconfig', kubeconfig, 'create', '-f', path.join(tmp.dir, 'cm.yaml')]);
      await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', 'demo']);
      await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'configmap', 'missing', '-n', 'demo', '--ignore-not-found']);
      await run('kubectl', ['--kubeconfig', kubeconfig, 'delete', 'configmaps', '--all', '-n', 'demo']);
    } finally {
      await server.close();
    }
    const resources = records.filter((r) => r.resourceRequest).map(line);
    expect(resources).to.include.members(['create "" configmaps demo - 201', 'list "" configmaps demo - 200', 'get "" configmaps demo missing 404']);
    // kubectl delete --all lists, then deletes each object by name
    expect(resources).to.include('delete "" configmaps demo c 200');
    expect(records.some((r) => !r.resourceRequest && r.path === '/api' && r.verb === 'get'), 'discovery is a non-resource request').to.equal(true);
    expect(records.every((r) => r.userAgent.startsWith('kubectl'))).to.equal(true);
  });

  it('appends one JSON line per request to the file CRT_APISERVER_AUDIT names (crt cluster up)', async () => {
    const dir = path.join(tmp.dir, '.crt');
    const audit = path.join(tmp.dir, 'audit.jsonl');
    const up = await crt(['cluster', 'up', '--detach', '--nodes', '1', '--dir', dir], { cwd: tmp.dir, env: { CRT_APISERVER_AUDIT: audit }, timeoutMs: 30_000 });
    try {
      expect(up.code, up.stderr).to.equal(0);
      const status = await crt(['cluster', 'status', '--dir', dir], { cwd: tmp.dir });
      expect(status.code, status.stderr).to.equal(0);
    } finally {
      await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
    }
    const records = (await readFile(audit, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    // crt cluster status lists the nodes, and the pods and Deployments of every namespace
    expect(records.map(line)).to.include.members(['list "" nodes - - 200', 'list "" pods - - 200', 'list apps deployments - - 200']);
  });
});
