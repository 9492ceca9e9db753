import net from 'node:net';
import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { startChat, type ChatService } from '../../../src/demo/chat.js';
import type { SessionSpec } from '../../../src/plan/types.js';
import { computeStats } from '../../../src/results/stats.js';
import type { LoadSample, LoadStats } from '../../../src/results/types.js';
import { SessionEngine } from '../../../src/sessions/index.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { until } from '../../helpers/until.js';

/** A front like a Service: new connections go to the pod `current()` names; a pod's close ends its connections. */
async function front(current: () => number): Promise<{ port: number; close: () => Promise<void> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const up = net.connect({ host: '127.0.0.1', port: current() });
    open.add(c);
    open.add(up);
    c.pipe(up).pipe(c);
    const end = () => { c.destroy(); up.destroy(); open.delete(c); open.delete(up); };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => { for (const s of open) s.destroy(); return new Promise((r) => server.close(() => r())); },
  };
}

const quiet = () => undefined;
const chat = (drainNotice: boolean) => startChat({ host: '127.0.0.1', port: 0, tcpPort: 0, drainNotice, noticeGraceMs: 1000, podName: 'pod', log: quiet });

interface Run { samples: LoadSample[]; stats: LoadStats }

async function runEngine(url: string, sessions: Partial<SessionSpec> & Pick<SessionSpec, 'protocol'>, o: { connections: number; durationMs: number }): Promise<Run> {
  const spec = loadSpec({
    engine: 'sessions', timeoutMs: 1500, stages: [stage({ connections: o.connections, durationMs: o.durationMs })],
    sessions: { openRate: 50, intervalMs: 100, message: 'hello', backoff: { initialMs: 50, maxMs: 400, factor: 2 }, ...sessions },
  });
  const prepared = await new SessionEngine().prepare({ spec, targetName: 'chat', url, headers: {} }, { maxStageMs: 60_000, log: silentLogger });
  const samples: LoadSample[] = [];
  for await (const m of prepared.start(Date.now(), new AbortController().signal)) if (m.type === 'samples') samples.push(...m.samples);
  return { samples, stats: computeStats(samples, o.durationMs / 1000) as LoadStats };
}

const protocols: Array<{ protocol: SessionSpec['protocol']; url: (c: ChatService, frontPort: number) => string }> = [
  { protocol: 'websocket', url: (_c, p) => `http://127.0.0.1:${p}/chat` },
  { protocol: 'tcp', url: (_c, p) => `http://127.0.0.1:${p}` },
  { protocol: 'sse', url: (_c, p) => `http://127.0.0.1:${p}/chat/events` },
];

for (const { protocol, url } of protocols) {
  describe(`sessions engine: ${protocol}`, function () {
    this.timeout(20_000);
    let pods: ChatService[] = [];
    let proxy: Awaited<ReturnType<typeof front>> | undefined;
    let current = 0;
    const portOf = (c: ChatService) => (protocol === 'tcp' ? c.tcpPort : Number(new URL(c.url).port));

    afterEach(async () => {
      await proxy?.close();
      await Promise.all(pods.map((p) => p.kill()));
      pods = [];
    });

    async function setUp(drainNotice: boolean) {
      pods = [await chat(drainNotice), await chat(drainNotice)];
      current = portOf(pods[0] as ChatService);
      proxy = await front(() => current);
      return url(pods[0] as ChatService, proxy.port);
    }

    it('holds every session and answers every message when nothing happens', async () => {
      const run = await runEngine(await setUp(true), { protocol }, { connections: 5, durationMs: 2000 });
      const s = run.stats.sessions;
      expect(s, 'sessions stats').to.not.equal(undefined);
      expect(s?.opened).to.equal(5);
      expect(s?.dropped).to.equal(0);
      expect(s?.reconnects).to.equal(0);
      expect(run.stats.failed, 'messages lost').to.equal(0);
      // 5 sessions × one message per 100 ms over ~2 s, less the first interval of each
      expect(run.stats.ok).to.be.within(80, 100);
      expect(run.stats.latency?.p99).to.be.below(200);
    });

    it('moves every session to another pod without a drop when the pod drains with notice', async () => {
      const target = await setUp(true);
      const running = runEngine(target, { protocol }, { connections: 4, durationMs: 3000 });
      await until('4 sessions on the first pod', () => pods[0]?.sessions() === 4);
      current = portOf(pods[1] as ChatService);
      await pods[0]?.drain();
      await until('4 sessions on the second pod', () => pods[1]?.sessions() === 4, 5000);
      const { stats } = await running;
      expect(stats.sessions?.asked).to.equal(4);
      expect(stats.sessions?.dropped).to.equal(0);
      expect(stats.sessions?.reconnects).to.equal(4);
      expect(stats.sessions?.reconnectTime?.max).to.be.below(500);
      expect(stats.failed, 'messages lost').to.equal(0);
    });

    it('counts the drops, the lost messages and the RTT of the gap when a pod dies without notice', async () => {
      const target = await setUp(false);
      const running = runEngine(target, { protocol }, { connections: 4, durationMs: 3500 });
      await until('4 sessions on the first pod', () => pods[0]?.sessions() === 4);
      // no pod to go to for a while: messages due meanwhile wait, their RTT counts from when they were due
      current = 1;
      await pods[0]?.kill();
      const downAt = Date.now();
      await until('a failed reconnect', () => Date.now() - downAt > 600);
      current = portOf(pods[1] as ChatService);
      await until('4 sessions on the second pod', () => pods[1]?.sessions() === 4, 5000);
      const { stats } = await running;
      expect(stats.sessions?.asked).to.equal(0);
      expect(stats.sessions?.dropped).to.equal(4);
      const by = stats.sessions?.droppedBy;
      expect((by?.closed ?? 0) + (by?.reset ?? 0), 'closed or reset, not timeout').to.equal(4);
      expect(stats.sessions?.reconnects).to.equal(4);
      expect(stats.sessions?.failedAttempts).to.be.greaterThan(0);
      expect(stats.sessions?.reconnectTime?.min).to.be.at.least(550);
      expect(stats.latency?.max, 'RTT from the intended send time').to.be.at.least(500);
      expect(stats.sessions?.secondsBelowFull).to.be.greaterThan(0);
    });
  });
}

describe('sessions engine: tcp connections reset by the server', function () {
  this.timeout(20_000);
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('counts a reset as a drop of class reset, and reconnects', async () => {
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      s.write('HELLO reset-pod\n');
      s.on('data', (d) => s.write(d));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const running = runEngine(`http://127.0.0.1:${port}`, { protocol: 'tcp' }, { connections: 3, durationMs: 2500 });
    await until('3 sessions', () => sockets.size === 3);
    for (const s of [...sockets]) s.resetAndDestroy();
    await until('3 sessions again', () => sockets.size === 3, 5000);
    const { stats } = await running;
    expect(stats.sessions?.droppedBy).to.deep.equal({ closed: 0, reset: 3, timeout: 0 });
    expect(stats.sessions?.reconnects).to.equal(3);
  });
});
