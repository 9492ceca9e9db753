import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SNAPSHOT_FILE } from '../../../src/demo/snapshot-file.js';
import { until } from '../../helpers/until.js';
import { Pods, request, type Pod } from './pods.js';

/**
 * Returns once the pod has read a request sent before: a /healthz sent after it, on a connection opened
 * after its own, was answered (the pod accepts and reads connections in the order they come).
 */
async function reached(pod: Pod): Promise<void> {
  expect((await request(`${pod.url}/healthz`)).status).to.equal(200);
}

describe('demo pod termination on SIGTERM', function () {
  this.slow(3000);
  const pods = new Pods();
  afterEach(() => pods.stopAll());

  /** A store whose requests take 700 ms, told to stop while one is in flight. */
  async function terminatingWithSlowRequest(): Promise<{ pod: Pod; slow: ReturnType<typeof request> }> {
    const pod = await pods.start('store', { env: { LATENCY_MS: '700', SHUTDOWN_DELAY_MS: '300', DRAIN_TIMEOUT_MS: '5000' } });
    const slow = request(`${pod.url}/kv/customers/1`);
    await reached(pod);
    pod.proc.kill('SIGTERM');
    expect((await pod.waitFor('terminating')).inFlight, 'requests in flight at SIGTERM').to.equal(1);
    return { pod, slow };
  }

  it('turns /readyz to 503 at once and keeps serving during the shutdown delay', async () => {
    const { pod, slow } = await terminatingWithSlowRequest();
    const ready = await request(`${pod.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(ready.body).to.deep.equal({ ready: false, terminating: true });
    expect((await request(`${pod.url}/healthz`)).status).to.equal(200);
    expect(pod.events.map((e) => e.event)).not.to.include('closed');
    await slow;
  });

  it('answers the in-flight request with 200 and connection: close, then exits 0', async () => {
    const { pod, slow } = await terminatingWithSlowRequest();
    const answer = await slow;
    expect(answer.status).to.equal(200);
    expect(answer.headers.connection).to.equal('close');
    expect(await pod.exited).to.deep.equal({ code: 0, signal: null });
    expect(pod.events.map((e) => e.event)).to.deep.equal(['started', 'ready', 'signal', 'terminating', 'closed', 'drained']);
  });

  it('refuses new connections once the shutdown delay is over', async () => {
    const { pod, slow } = await terminatingWithSlowRequest();
    await pod.waitFor('closed');
    const refused = await request(`${pod.url}/healthz`).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    expect((await slow).status).to.equal(200);
  });

  it('exits 1 when in-flight requests outlast DRAIN_TIMEOUT_MS', async () => {
    const pod = await pods.start('store', { env: { LATENCY_MS: '3000', DRAIN_TIMEOUT_MS: '200' } });
    const cut = request(`${pod.url}/kv/customers/1`).catch((err: NodeJS.ErrnoException) => err.code);
    await reached(pod);
    pod.proc.kill('SIGTERM');
    expect((await pod.exited).code).to.equal(1);
    expect(await cut).to.equal('ECONNRESET');
    expect(pod.events.map((e) => e.event)).to.include('drain-timeout');
  });
});

describe('demo store DATA_DIR', function () {
  this.slow(3000);
  const pods = new Pods();
  let dataDir = '';
  beforeEach(async () => (dataDir = await mkdtemp(path.join(os.tmpdir(), 'crt-demo-store-'))));
  afterEach(async () => {
    await pods.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Puts a key, deletes customer 7 and casts two votes. */
  async function change(store: Pod): Promise<void> {
    expect((await request(`${store.url}/kv/greeting`, { method: 'PUT', json: { hello: 'world' } })).status).to.equal(201);
    expect((await request(`${store.url}/kv/customers/7`, { method: 'DELETE' })).status).to.equal(204);
    for (const option of ['x', 'x']) await request(`${store.url}/votes`, { method: 'POST', json: { option } });
  }

  async function expectChanged(store: Pod): Promise<void> {
    expect((await request(`${store.url}/kv/greeting`)).body).to.deep.equal({ hello: 'world' });
    expect((await request(`${store.url}/kv/customers/7`)).status).to.equal(404);
    expect((await request(`${store.url}/kv/customers/8`)).status).to.equal(200);
    expect((await request(`${store.url}/votes`)).body).to.deep.equal({ total: 2, options: { x: 2 } });
  }

  it('keeps puts, deletes and votes across a graceful restart', async () => {
    const first = await pods.start('store', { env: { DATA_DIR: dataDir, SNAPSHOT_DEBOUNCE_MS: '5000' } });
    await change(first);
    first.proc.kill('SIGTERM');
    expect((await first.exited).code).to.equal(0);
    await expectChanged(await pods.start('store', { env: { DATA_DIR: dataDir } }));
  });

  it('writes the snapshot within SNAPSHOT_DEBOUNCE_MS, so a killed store loses nothing older', async () => {
    const first = await pods.start('store', { env: { DATA_DIR: dataDir, SNAPSHOT_DEBOUNCE_MS: '50' } });
    await change(first);
    // the file on disk holds every change (a write is whole: temp file, fsync, rename)
    await until('the snapshot holds the changes', async () => {
      const text = await readFile(path.join(dataDir, SNAPSHOT_FILE), 'utf8').catch(() => '{}');
      const snap = JSON.parse(text) as { kv?: Record<string, unknown>; votes?: Record<string, number> };
      return snap.kv?.greeting !== undefined && snap.kv['customers/7'] === undefined && snap.votes?.x === 2;
    }, 5000);
    first.proc.kill('SIGKILL');
    await first.exited;
    await expectChanged(await pods.start('store', { env: { DATA_DIR: dataDir } }));
  });

  it('writes a snapshot of the seed at first start, ready for a backup', async () => {
    await pods.start('store', { env: { DATA_DIR: dataDir } });
    const snapshot = JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8')) as { format: string; kv: Record<string, unknown> };
    expect(snapshot.format).to.equal('crt-demo-store/1');
    expect(Object.keys(snapshot.kv)).to.have.length(1000);
  });

  it('refuses to start on a corrupt snapshot, so a bad restore is loud', async () => {
    await writeFile(path.join(dataDir, 'store.json'), '{"format": "crt-demo-store/1", "kv": ');
    const store = await pods.start('store', { env: { DATA_DIR: dataDir }, until: null });
    expect((await store.exited).code).to.equal(1);
    expect(store.stderr).to.match(/store\.json is not JSON/);
  });
});
