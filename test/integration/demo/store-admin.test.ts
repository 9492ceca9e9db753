import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SEED_CUSTOMERS, SNAPSHOT_FORMAT } from '../../../src/demo/store-data.js';
import { tempDir } from '../../helpers/tmp.js';
import { InProcess } from './in-process.js';
import { request } from './pods.js';

describe('demo store admin routes (restore drill)', function () {
  this.slow(1000);
  const servers = new InProcess();
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    await servers.stopAll();
    await tmp?.remove();
    tmp = undefined;
  });

  /** A store with a snapshot file whose debounce is far longer than a test: only a flush writes it. */
  async function persistentStore() {
    tmp = await tempDir();
    const store = await servers.start('store', { DATA_DIR: tmp.dir, SNAPSHOT_DEBOUNCE_MS: '600000' });
    const onDisk = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(path.join(tmp!.dir, 'store.json'), 'utf8')) as Record<string, unknown>;
    return { store, onDisk, dir: tmp.dir };
  }

  it('serves the current data as a snapshot at GET /admin/snapshot, as replicas get it', async () => {
    const store = await servers.start('store');
    await request(`${store.url}/kv/drill%2F1`, { method: 'PUT', json: { n: 1 } });
    await request(`${store.url}/votes`, { method: 'POST', json: { option: 'a' } });
    const admin = await request(`${store.url}/admin/snapshot`);
    expect(admin.status).to.equal(200);
    expect(admin.body).to.include({ format: SNAPSHOT_FORMAT });
    expect(Object.keys(admin.body.kv as object)).to.have.length(SEED_CUSTOMERS + 1);
    expect(admin.body.kv['drill/1']).to.deep.equal({ n: 1 });
    expect(admin.body.votes).to.deep.equal({ a: 1 });
    const replication = await request(`${store.url}/replication/snapshot`);
    expect(replication.body.kv).to.deep.equal(admin.body.kv);
    expect(replication.body.votes).to.deep.equal(admin.body.votes);
  });

  it('replaces every key and vote with PUT /admin/snapshot, larger than a normal request body', async () => {
    const store = await servers.start('store');
    const backup = (await request(`${store.url}/admin/snapshot`)).body;
    expect(JSON.stringify(backup).length).to.be.above(64 * 1024);
    await request(`${store.url}/kv/after-backup`, { method: 'PUT', json: 1 });
    await request(`${store.url}/votes`, { method: 'POST', json: { option: 'b' } });
    const restored = await request(`${store.url}/admin/snapshot`, { method: 'PUT', json: backup });
    expect(restored.status).to.equal(200);
    expect(restored.body).to.deep.equal({ restored: true, keys: SEED_CUSTOMERS, customers: SEED_CUSTOMERS, votes: 0, options: 0 });
    expect((await request(`${store.url}/kv/after-backup`)).status).to.equal(404);
    expect((await request(`${store.url}/votes`)).body).to.deep.equal({ total: 0, options: {} });
    expect((await request(`${store.url}/kv/customers%2F42`)).body).to.deep.equal(backup.kv['customers/42']);
  });

  it('refuses a body that is not a snapshot with 400 and keeps the data', async () => {
    const store = await servers.start('store');
    const r = await request(`${store.url}/admin/snapshot`, { method: 'PUT', json: { format: 'crt-demo-store/1', kv: {}, votes: { a: -2 } } });
    expect(r.status).to.equal(400);
    expect(r.body.error).to.equal('not a snapshot this store can restore: vote count for "a" is not a count');
    expect((await request(`${store.url}/stats`)).body).to.include({ role: 'primary', keys: SEED_CUSTOMERS });
  });

  it('wipes every key and vote with DELETE /admin/data and says what it wiped', async () => {
    const store = await servers.start('store');
    await request(`${store.url}/votes`, { method: 'POST', json: { option: 'a' } });
    const r = await request(`${store.url}/admin/data`, { method: 'DELETE' });
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ wiped: { keys: SEED_CUSTOMERS, customers: SEED_CUSTOMERS, votes: 1, options: 1 } });
    expect((await request(`${store.url}/kv/customers%2F1`)).status).to.equal(404);
    expect((await request(`${store.url}/stats`)).body).to.include({ keys: 0, votes: 0 });
  });

  it('has the wipe on disk when DELETE /admin/data answers, so a restarted store starts empty', async () => {
    const { store, onDisk, dir } = await persistentStore();
    await request(`${store.url}/admin/data`, { method: 'DELETE' });
    expect(await onDisk()).to.include({ format: SNAPSHOT_FORMAT }).and.deep.include({ kv: {}, votes: {} });
    await store.stop();
    const again = await servers.start('store', { DATA_DIR: dir });
    expect((await request(`${again.url}/stats`)).body).to.include({ keys: 0, votes: 0 });
  });

  it('has the restored data on disk when PUT /admin/snapshot answers', async () => {
    const { store, onDisk } = await persistentStore();
    const snapshot = { format: SNAPSHOT_FORMAT, savedAt: '2026-01-01T00:00:00.000Z', kv: { 'drill/1': { n: 1 } }, votes: { drill: 3 } };
    expect((await request(`${store.url}/admin/snapshot`, { method: 'PUT', json: snapshot })).status).to.equal(200);
    const disk = await onDisk();
    expect(disk.kv).to.deep.equal(snapshot.kv);
    expect(disk.votes).to.deep.equal(snapshot.votes);
  });

  it('refuses an unknown ROLE at start', async () => {
    let error: unknown;
    await servers.start('store', { ROLE: 'secondary' }).catch((err: unknown) => (error = err));
    expect(error).to.be.an('error').with.property('message', 'ROLE must be primary or replica, got "secondary"');
  });
});
