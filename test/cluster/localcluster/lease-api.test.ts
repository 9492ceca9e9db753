import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { embeddedKubeconfig } from '../../../src/kube/index.js';
import { ApiServer } from '../../../src/localcluster/apiserver/api-server.js';
import { Store } from '../../../src/localcluster/store/store.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { tempDir } from '../../helpers/tmp.js';
import { apiError } from '../../helpers/api-error.js';

const run = promisify(execFile);

/** coordination.k8s.io/v1 Leases on the API server over a bare store, through client-node and kubectl. */
describe('embedded cluster API server: coordination.k8s.io/v1 Leases', function () {
  let server: ApiServer;
  let api: CoordinationV1Api;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let kubeconfig: string;

  beforeEach(async () => {
    const store = new Store();
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    server = new ApiServer({ store });
    const url = await server.listen();
    tmp = await tempDir();
    kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeFile(kubeconfig, embeddedKubeconfig(url));
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    api = kc.makeApiClient(CoordinationV1Api);
  });

  afterEach(async () => {
    await server.close();
    await tmp.remove();
  });


  const lease = (holder: string, at: Date): V1Lease => ({
    metadata: { name: 'lock', namespace: 'default' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: new V1MicroTime(at.getTime()), renewTime: new V1MicroTime(at.getTime()), leaseTransitions: 0 },
  });

  it('stores MicroTimes to the microsecond and reads them back in UTC', async () => {
    const at = new Date('2026-12-07T12:00:00.123Z');
    const created = await api.createNamespacedLease({ namespace: 'default', body: lease('run-a', at) });
    // client-node leaves MicroTime fields as the server's strings
    expect(String(created.spec?.renewTime)).to.equal('2026-12-07T12:00:00.123000Z');
    const read = await api.readNamespacedLease({ name: 'lock', namespace: 'default' });
    expect(read.spec).to.deep.include({ holderIdentity: 'run-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(String(read.spec?.acquireTime)).to.equal('2026-12-07T12:00:00.123000Z');
    expect(Date.parse(String(read.spec?.renewTime))).to.equal(at.getTime());
    // another zone is stored as the same instant in UTC, the six digits kept
    const body = { ...read, spec: { ...read.spec, renewTime: '2026-12-07T14:00:01.654321+02:00' as unknown as V1MicroTime } };
    const replaced = await api.replaceNamespacedLease({ name: 'lock', namespace: 'default', body });
    expect(String(replaced.spec?.renewTime)).to.equal('2026-12-07T12:00:01.654321Z');
  });

  it('answers 400 to a MicroTime without six fractional digits (a plain Date), as a real server does', async () => {
    const body = lease('run-a', new Date());
    body.spec!.renewTime = new Date('2026-12-07T12:00:00.123Z');
    const err = await apiError(api.createNamespacedLease({ namespace: 'default', body }));
    expect(err.code).to.equal(400);
    expect(err.body.message).to.equal('Lease in version "v1" cannot be handled as a Lease: parsing time "2026-12-07T12:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"');
    expect((await api.listNamespacedLease({ namespace: 'default' })).items).to.deep.equal([]);
  });

  it('answers 409 AlreadyExists to a second create, 409 Conflict to a stale update or delete', async () => {
    const first = await api.createNamespacedLease({ namespace: 'default', body: lease('run-a', new Date()) });
    const again = await apiError(api.createNamespacedLease({ namespace: 'default', body: lease('run-b', new Date()) }));
    expect(again.code).to.equal(409);
    expect(again.body).to.include({ reason: 'AlreadyExists', message: 'leases.coordination.k8s.io "lock" already exists' });
    const renewed = await api.replaceNamespacedLease({ name: 'lock', namespace: 'default', body: { ...first, spec: { ...first.spec, renewTime: new V1MicroTime() } } });
    expect(Number(renewed.metadata?.resourceVersion)).to.be.greaterThan(Number(first.metadata?.resourceVersion));
    const stale = await apiError(api.replaceNamespacedLease({ name: 'lock', namespace: 'default', body: { ...first, spec: { ...first.spec, holderIdentity: 'run-b' } } }));
    expect(stale.code).to.equal(409);
    expect(stale.body.reason).to.equal('Conflict');
    const staleDelete = await apiError(api.deleteNamespacedLease({ name: 'lock', namespace: 'default', body: { preconditions: { resourceVersion: first.metadata!.resourceVersion! } } }));
    expect(staleDelete.code).to.equal(409);
    expect(staleDelete.body.message).to.contain(`Precondition failed: ResourceVersion in precondition: ${first.metadata!.resourceVersion}`);
    expect((await api.readNamespacedLease({ name: 'lock', namespace: 'default' })).spec?.holderIdentity).to.equal('run-a');
    await api.deleteNamespacedLease({ name: 'lock', namespace: 'default', body: { preconditions: { resourceVersion: renewed.metadata!.resourceVersion! } } });
    expect((await apiError(api.readNamespacedLease({ name: 'lock', namespace: 'default' }))).code).to.equal(404);
  });

  it('refuses a duration that is not positive and negative transitions (422), and a lease in a missing namespace (404)', async () => {
    const bad = lease('run-a', new Date());
    bad.spec = { ...bad.spec, leaseDurationSeconds: 0, leaseTransitions: -1 };
    const invalid = await apiError(api.createNamespacedLease({ namespace: 'default', body: bad }));
    expect(invalid.code).to.equal(422);
    expect(invalid.body.message).to.equal('Lease.coordination.k8s.io "lock" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]');
    const missing = await apiError(api.createNamespacedLease({ namespace: 'crt', body: { ...lease('run-a', new Date()), metadata: { name: 'lock' } } }));
    expect(missing.code).to.equal(404);
    expect(missing.body.message).to.equal('namespaces "crt" not found');
  });

  it('serves kubectl get leases with the Holder column', async function () {
    requireKubectl(this);
    await api.createNamespacedLease({ namespace: 'default', body: lease('run-a', new Date()) });
    const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'leases', '-n', 'default'], { timeout: 20_000 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^NAME\s+HOLDER\s+AGE$/);
    expect(lines[1]).to.match(/^lock\s+run-a\s+\d+s$/);
    const yaml = await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'lease', 'lock', '-n', 'default', '-o', 'jsonpath={.spec.renewTime}'], { timeout: 20_000 });
    expect(yaml.stdout).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });
});
