import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SEED_CUSTOMERS } from '../../../src/demo/store-data.js';
import { until } from '../../helpers/until.js';
import { InProcess, type Served } from './in-process.js';
import { request } from './pods.js';

describe('demo store replica (ROLE=replica)', function () {
  this.slow(2000);
  const servers = new InProcess();
  afterEach(() => servers.stopAll());

  const replicaOf = (primary: { url: string }, env: Record<string, string> = {}) =>
    servers.start('store', { ROLE: 'replica', PRIMARY_URL: primary.url, REPLICATION_INTERVAL_MS: '50', POD_NAME: 'store-replica-0', ...env });

  it('serves the primary’s data and picks up its later writes within a few intervals', async () => {
    const primary = await servers.start('store');
    const replica = await replicaOf(primary);
    const first = await request(`${replica.url}/kv/customers%2F42`);
    expect(first.status).to.equal(200);
    expect(first.headers['x-served-by']).to.equal('store-replica-0');
    await request(`${primary.url}/kv/late`, { method: 'PUT', json: { v: 2 } });
    await request(`${primary.url}/votes`, { method: 'POST', json: { option: 'a' } });
    await until('the write on the replica', async () => (await request(`${replica.url}/kv/late`)).status === 200, 5000);
    expect((await request(`${replica.url}/votes`)).body).to.deep.equal({ total: 1, options: { a: 1 } });
  });

  it('answers every write with 503 read-only replica', async () => {
    const replica = await replicaOf(await servers.start('store'));
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/kv/x', 1], ['DELETE', '/kv/customers%2F1', undefined], ['POST', '/votes', { option: 'a' }],
      ['PUT', '/admin/snapshot', {}], ['DELETE', '/admin/data', undefined],
    ];
    for (const [method, path, json] of writes) {
      const r = await request(`${replica.url}${path}`, { method, json });
      expect([method, path, r.status, r.body]).to.deep.equal([method, path, 503, { error: 'read-only replica' }]);
    }
    expect((await request(`${replica.url}/kv/customers%2F1`)).status).to.equal(200);
  });

  it('reports its role, last sync and lag in GET /stats', async () => {
    const replica = await replicaOf(await servers.start('store'));
    const stats = (await request(`${replica.url}/stats`)).body;
    expect(stats).to.include({ role: 'replica', keys: SEED_CUSTOMERS, syncErrors: 0, lastError: null });
    expect(Date.parse(String(stats.lastSyncAt))).to.be.closeTo(Date.now(), 2000);
    expect(stats.lagMs).to.be.a('number').within(0, 2000);
  });

  it('keeps serving its last copy while the primary is gone, counting failed syncs, and catches up when it is back', async () => {
    const primary = await servers.start('store');
    await request(`${primary.url}/kv/before-loss`, { method: 'PUT', json: 'kept' });
    const replica = await replicaOf(primary);
    await primary.stop();
    await until('failed syncs', async () => (await request(`${replica.url}/stats`)).body.syncErrors >= 3, 5000);
    expect((await request(`${replica.url}/kv/before-loss`)).body).to.equal('kept');
    const stats = (await request(`${replica.url}/stats`)).body;
    expect(stats.lagMs).to.be.at.least(150);
    expect(stats.lastError).to.match(/^upstream store failed: .*"code":"ECONNREFUSED"/);
    expect(replica.events.filter((e) => e.event === 'sync-failed')).to.have.length(1);
    // a new primary (fresh memory) on the same address: the replica follows it
    await servers.start('store', { PORT: String(primary.port) });
    await until('the new primary’s copy', async () => (await request(`${replica.url}/kv/before-loss`)).status === 404, 5000);
    expect(replica.events.map((e) => e.event)).to.include('sync-recovered');
  });

  it('listens only once it holds a first copy of the primary', async () => {
    // a primary that hangs up every connection: the replica tries and gets no copy
    let attempts = 0;
    const hangingUp = net.createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => hangingUp.listen(0, '127.0.0.1', resolve));
    const { port } = hangingUp.address() as AddressInfo;
    let replica: Served | undefined;
    const starting = replicaOf({ url: `http://127.0.0.1:${port}` }).then((r) => (replica = r));
    await until('the replica tried the primary three times', () => attempts >= 3, 5000);
    expect(replica, 'listening without a copy').to.equal(undefined);
    await new Promise((resolve) => hangingUp.close(resolve));
    await servers.start('store', { PORT: String(port) });
    await starting;
    expect((await request(`${replica!.url}/kv/customers%2F7`)).status).to.equal(200);
  });
});

describe('demo customer-service read fallback to the store replica', function () {
  this.slow(2000);
  const servers = new InProcess();
  const extra: http.Server[] = [];
  afterEach(async () => {
    await servers.stopAll();
    await Promise.all(extra.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function chain() {
    const primary = await servers.start('store');
    const replica = await servers.start('store', { ROLE: 'replica', PRIMARY_URL: primary.url, REPLICATION_INTERVAL_MS: '50', POD_NAME: 'store-replica-0' });
    const customers = await servers.start('customer-service', { STORE_URL: primary.url, STORE_REPLICA_URL: replica.url });
    return { primary, replica, customers };
  }

  it('reads from the primary while it answers, with no x-fallback header', async () => {
    const { customers } = await chain();
    const r = await request(`${customers.url}/customers/42`);
    expect(r.status).to.equal(200);
    expect(r.headers['x-upstream-served-by']).to.equal('store-0');
    expect(r.headers['x-fallback']).to.equal(undefined);
  });

  it('retries a read on the replica once the primary refuses connections, marked x-fallback: store-replica', async () => {
    const { primary, customers } = await chain();
    await primary.stop();
    for (const path of ['/customers/42', '/votes']) {
      const r = await request(`${customers.url}${path}`);
      expect([path, r.status, r.headers['x-fallback'], r.headers['x-upstream-served-by']]).to.deep.equal([path, 200, 'store-replica', 'store-replica-0']);
    }
  });

  it('does not send a write to the replica: a vote fails with 502 naming the store', async () => {
    const { primary, replica, customers } = await chain();
    await primary.stop();
    const r = await request(`${customers.url}/votes`, { method: 'POST', json: { option: 'a' } });
    expect(r.status).to.equal(502);
    expect(r.body).to.include({ upstream: 'store' });
    expect(r.headers['x-fallback']).to.equal(undefined);
    expect((await request(`${replica.url}/votes`)).body.total).to.equal(0);
  });

  it('falls back on a 503 from the primary but relays its 404 as the answer it is', async () => {
    const { replica } = await chain();
    let status = 503;
    const fake = http.createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"fake"}\n'));
    extra.push(fake);
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const customers = await servers.start('customer-service', { STORE_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, STORE_REPLICA_URL: replica.url });
    expect((await request(`${customers.url}/customers/3`)).headers['x-fallback']).to.equal('store-replica');
    status = 404;
    const r = await request(`${customers.url}/customers/3`);
    expect([r.status, r.headers['x-fallback']]).to.deep.equal([404, undefined]);
  });

  /**
   * A store that answers one read on a keep-alive connection and then resets every connection at
   * its next request: what customer-service meets when the store pod dies between two requests.
   */
  async function dyingStore(): Promise<string> {
    let answered = false;
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        if (answered) return socket.resetAndDestroy();
        answered = true;
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}');
        socket.once('data', () => socket.resetAndDestroy());
      });
    });
    extra.push(server as unknown as http.Server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('answers 502 ECONNRESET, not 500, when the retry of a reset keep-alive request is reset too', async () => {
    const customers = await servers.start('customer-service', { STORE_URL: await dyingStore() });
    expect((await request(`${customers.url}/customers/1`)).status).to.equal(200);
    const r = await request(`${customers.url}/customers/1`);
    expect(r.status).to.equal(502);
    expect(r.body).to.include({ upstream: 'store', code: 'ECONNRESET' });
  });

  it('falls back to the replica when the primary resets the retried read too', async () => {
    const { replica } = await chain();
    const customers = await servers.start('customer-service', { STORE_URL: await dyingStore(), STORE_REPLICA_URL: replica.url });
    expect((await request(`${customers.url}/customers/1`)).headers['x-fallback']).to.equal(undefined);
    const r = await request(`${customers.url}/customers/1`);
    expect([r.status, r.headers['x-fallback']]).to.deep.equal([200, 'store-replica']);
  });

  it('answers the primary’s 502 when the replica is down too', async () => {
    const { primary, replica, customers } = await chain();
    await Promise.all([primary.stop(), replica.stop()]);
    const r = await request(`${customers.url}/customers/1`);
    expect(r.status).to.equal(502);
    expect(r.body).to.include({ upstream: 'store', code: 'ECONNREFUSED' });
  });

  it('passes x-fallback on through the gateway', async () => {
    const { primary, customers } = await chain();
    const gateway = await servers.start('gateway', { CUSTOMER_SERVICE_URL: customers.url });
    await primary.stop();
    const r = await request(`${gateway.url}/customers/9`);
    expect([r.status, r.headers['x-fallback'], r.body.id]).to.deep.equal([200, 'store-replica', 9]);
  });

  it('has no fallback without STORE_REPLICA_URL or the store-replica Service variables', async () => {
    const primary = await servers.start('store');
    const customers = await servers.start('customer-service', { STORE_URL: primary.url });
    expect((await request(`${customers.url}/`)).body).not.to.have.property('fallback');
    await primary.stop();
    expect((await request(`${customers.url}/customers/1`)).status).to.equal(502);
  });

  it('finds the replica through the store-replica Service variables', async () => {
    const { primary, replica } = await chain();
    const customers = await servers.start('customer-service', { STORE_URL: primary.url, STORE_REPLICA_SERVICE_HOST: '127.0.0.1', STORE_REPLICA_SERVICE_PORT: String(replica.port) });
    expect((await request(`${customers.url}/`)).body.fallback).to.deep.equal({ name: 'store-replica', url: replica.url, for: 'GET' });
  });
});
