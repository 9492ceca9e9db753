import { expect } from 'chai';
import { until } from '../../helpers/until.js';
import { spawn } from 'node:child_process';
import { DEMO_MAIN, nextIp, Pods, request, serviceEnv } from './pods.js';

describe('demo chain gateway → customer-service → store', function () {
  this.slow(2000);
  const pods = new Pods();
  afterEach(() => pods.stopAll());

  it('serves a customer read through all three hops, answered as the gateway pod', async () => {
    const { gateway } = await pods.chain({ gateway: { DEMO_VERSION: '1.1' } });
    const r = await request(`${gateway.url}/customers/42`);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ id: 42, name: 'Frances Goldberg', email: 'frances.goldberg.42@example.com' });
    expect(r.headers['x-served-by']).to.equal('gateway-0');
    expect(r.headers['x-upstream-served-by']).to.equal('customer-service-0');
    expect(r.headers['x-version']).to.equal('1.1');
  });

  it('passes the store 404 for an unknown customer back to the client', async () => {
    const { gateway } = await pods.chain();
    const r = await request(`${gateway.url}/customers/1001`);
    expect(r.status).to.equal(404);
    expect(r.body).to.include({ key: 'customers/1001' });
  });

  it('counts votes posted to the gateway in the store', async () => {
    const { gateway, store } = await pods.chain();
    for (const option of ['a', 'b', 'a']) {
      expect((await request(`${gateway.url}/votes`, { method: 'POST', json: { option } })).status).to.equal(201);
    }
    expect((await request(`${gateway.url}/votes`)).body).to.deep.equal({ total: 3, options: { a: 2, b: 1 } });
    expect((await request(`${store.url}/stats`)).body).to.include({ votes: 3, options: 2, customers: 1000 });
  });

  it('rejects a vote without an option with 400 from the store', async () => {
    const { gateway } = await pods.chain();
    const r = await request(`${gateway.url}/votes`, { method: 'POST', json: { choice: 'a' } });
    expect(r.status).to.equal(400);
    expect(r.headers['x-served-by']).to.equal('gateway-0');
  });

  it('answers 502 naming customer-service when nothing listens there', async () => {
    const gateway = await pods.start('gateway', { env: serviceEnv('customer-service', nextIp()) });
    const r = await request(`${gateway.url}/customers/1`);
    expect(r.status).to.equal(502);
    expect(r.body).to.include({ upstream: 'customer-service', code: 'ECONNREFUSED' });
    expect(r.headers['x-served-by']).to.equal(gateway.name);
  });

  it('answers 504 naming customer-service when it answers later than UPSTREAM_TIMEOUT_MS', async () => {
    const slow = await pods.start('customer-service', { env: { ...serviceEnv('store', nextIp()), LATENCY_MS: '2000' } });
    const gateway = await pods.start('gateway', { env: { ...serviceEnv('customer-service', slow.ip), UPSTREAM_TIMEOUT_MS: '150' } });
    const r = await request(`${gateway.url}/customers/1`);
    expect(r.status).to.equal(504);
    expect(r.body).to.include({ upstream: 'customer-service', timeoutMs: 150 });
    expect(r.ms).to.be.within(140, 1000);
  });

  it('describes itself and its upstream at GET /', async () => {
    const { gateway, customerService } = await pods.chain({ gateway: { DEMO_VERSION: '1.0' } });
    const r = await request(`${gateway.url}/`);
    expect(r.body).to.deep.include({ service: 'gateway', pod: 'gateway-0', version: '1.0' });
    expect(r.body.upstream).to.include({ name: 'customer-service', url: customerService.url });
    expect(r.body.routes).to.include('GET /customers/:id');
  });

  it('reaches customer-service through CUSTOMER_SERVICE_URL over the Service variables', async () => {
    const { customerService } = await pods.chain();
    const gateway = await pods.start('gateway', {
      env: { ...serviceEnv('customer-service', nextIp()), CUSTOMER_SERVICE_URL: customerService.url },
    });
    expect((await request(`${gateway.url}/customers/7`)).status).to.equal(200);
  });
});

describe('demo pod knobs', function () {
  this.slow(2000);
  const pods = new Pods();
  afterEach(() => pods.stopAll());

  it('adds LATENCY_MS to each request', async () => {
    const store = await pods.start('store', { env: { LATENCY_MS: '250' } });
    const r = await request(`${store.url}/kv/customers/1`);
    expect(r.status).to.equal(200);
    expect(r.ms).to.be.within(250, 600);
  });

  it('answers probes without LATENCY_MS, so a slow service is not a dead one', async () => {
    const store = await pods.start('store', { env: { LATENCY_MS: '1000' } });
    expect((await request(`${store.url}/readyz`)).ms).to.be.below(500);
  });

  it('answers 500 to the share of requests given by FAIL_RATE', async () => {
    const store = await pods.start('store', { env: { FAIL_RATE: '1' } });
    const r = await request(`${store.url}/kv/customers/1`);
    expect(r.status).to.equal(500);
    expect(r.body).to.deep.equal({ error: 'injected failure', failRate: 1 });
  });

  it('reports not ready until READY_DELAY_MS has passed', async () => {
    const store = await pods.start('store', { env: { READY_DELAY_MS: '400' }, until: 'started' });
    expect((await request(`${store.url}/readyz`)).status).to.equal(503);
    expect((await request(`${store.url}/healthz`)).status).to.equal(200);
    await store.waitFor('ready');
    expect((await request(`${store.url}/readyz`)).status).to.equal(200);
  });

  it('answers 503 "warming up" on its routes for WARMUP_MS while /readyz already says ready (the misconfigured readiness)', async () => {
    const store = await pods.start('store', { env: { WARMUP_MS: '600' } });
    expect((await request(`${store.url}/readyz`)).status).to.equal(200);
    const cold = await request(`${store.url}/kv/customers/1`);
    expect(cold.status).to.equal(503);
    expect(cold.body).to.deep.equal({ error: 'warming up', warmupMs: 600 });
    await until('the warm-up is over', async () => (await request(`${store.url}/kv/customers/1`)).status === 200, 5000);
  });

  it('exits 2 with the usage on stderr for an unknown role', async () => {
    const child = spawn(process.execPath, [DEMO_MAIN, 'billing'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).to.equal(2);
    expect(stderr).to.match(/^unknown role "billing"\n\nusage: node dist\/src\/demo\/main\.js <gateway\|customer-service\|store\|chat>/);
  });

  it('exits 2 naming the variables when the gateway cannot find customer-service', async () => {
    const gateway = await pods.start('gateway', { until: null });
    expect((await gateway.exited).code).to.equal(2);
    expect(gateway.stderr).to.include('CUSTOMER_SERVICE_SERVICE_HOST');
  });
});
