import net from 'node:net';
import { expect } from 'chai';
import WebSocket from 'ws';
import { startChat, type ChatService } from '../../../src/demo/chat.js';
import { until } from '../../helpers/until.js';

describe('demo chat service: the preStop drain', function () {
  this.timeout(10_000);
  let chat: ChatService | undefined;
  afterEach(async () => chat?.kill());

  it('GET /drain tells a WebSocket client to reconnect (close 1012), a TCP one RECONNECT, and turns /healthz to 503', async () => {
    chat = await startChat({ host: '127.0.0.1', port: 0, tcpPort: 0, drainNotice: true, noticeGraceMs: 2000, podName: 'pod-a', log: () => undefined });
    // a TCP client that stays after the notice keeps the pod draining until the grace ends
    const tcp = net.connect({ host: '127.0.0.1', port: chat.tcpPort });
    let tcpText = '';
    tcp.setEncoding('utf8').on('data', (d: string) => (tcpText += d)).on('error', () => undefined);
    await new Promise((r) => tcp.once('connect', r));
    const ws = new WebSocket(`${chat.url.replace('http', 'ws')}/chat`);
    await new Promise((r) => ws.once('open', r));
    const echoed = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString('utf8'))));
    ws.send('7 hello');
    expect(await echoed).to.equal('7 hello');
    const closed = new Promise<[number, string]>((r) => ws.once('close', (code, reason) => r([code, reason.toString('utf8')])));
    const drain = await fetch(`${chat.url}/drain`);
    expect(drain.status).to.equal(200);
    expect(await closed).to.deep.equal([1012, 'service restart']);
    expect((await fetch(`${chat.url}/healthz`)).status).to.equal(503);
    await until('the TCP notice', () => tcpText.includes('RECONNECT'), 5000);
    expect(tcpText).to.equal('HELLO pod-a\nRECONNECT\n');
    tcp.destroy();
  });

  it('without the notice, /drain cuts the sessions with no close code', async () => {
    chat = await startChat({ host: '127.0.0.1', port: 0, tcpPort: 0, drainNotice: false, noticeGraceMs: 2000, podName: 'pod-b', log: () => undefined });
    const ws = new WebSocket(`${chat.url.replace('http', 'ws')}/chat`);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('error', () => undefined);
    await fetch(`${chat.url}/drain`).catch(() => undefined);
    expect(await closed).to.equal(1006);
  });
});
