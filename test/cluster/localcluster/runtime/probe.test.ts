import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { tempDir } from '../../../helpers/tmp.js';
import { runProbe, type ProbeTarget } from '../../../../src/localcluster/runtime/probe.js';

const ip = '127.77.0.20';
const closedIP = '127.77.0.21';

/** A server on the probe IP that answers by path: /ok 200, /moved 302, /fail 503, /slow never. */
async function probeServer(make: (handler: http.RequestListener) => http.Server = (h) => http.createServer(h)) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = make((req, res) => {
    seen.push(req.headers);
    if (req.url === '/slow') return;
    res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('runProbe', () => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });
  const target = (container: any = { name: 'app' }, env: Record<string, string> = {}): ProbeTarget => ({ podIP: ip, container, env, cwd: process.cwd() });
  const serve = async () => {
    const s = await probeServer();
    cleanups.push(s.close);
    return s;
  };

  it('passes an httpGet probe answered 200 on the pod IP, sending the headers it was given', async () => {
    const s = await serve();
    const result = await runProbe({ httpGet: { path: '/ok', port: s.port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, target());
    expect(result).to.deep.equal({ ok: true });
    expect(s.seen[0]).to.include({ 'x-probe': 'yes', 'user-agent': 'kube-probe/1.31', host: `${ip}:${s.port}` });
  });

  it('counts a 3xx answer as success without following it', async () => {
    const s = await serve();
    expect(await runProbe({ httpGet: { path: '/moved', port: s.port } }, target())).to.deep.equal({ ok: true });
    expect(s.seen).to.have.length(1);
  });

  it('fails an httpGet probe answered 503 with the kubelet\'s message', async () => {
    const s = await serve();
    expect(await runProbe({ httpGet: { path: '/fail', port: s.port } }, target())).to.deep.equal({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
  });

  it('words a refused connection like the kubelet', async () => {
    const result = await runProbe({ httpGet: { path: '/readyz', port: 8080, host: closedIP } }, target());
    expect(result).to.deep.equal({ ok: false, message: `Get "http://${closedIP}:8080/readyz": dial tcp ${closedIP}:8080: connect: connection refused` });
  });

  it('fails an httpGet probe that gets no answer within timeoutSeconds', async () => {
    const s = await serve();
    const t0 = Date.now();
    const result = await runProbe({ httpGet: { path: '/slow', port: s.port }, timeoutSeconds: 0.2 }, target());
    expect(Date.now() - t0).to.be.within(150, 1000);
    expect(result).to.deep.equal({ ok: false, message: `Get "http://${ip}:${s.port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  });

  it('resolves a named container port', async () => {
    const s = await serve();
    const container = { name: 'app', ports: [{ name: 'http', containerPort: s.port }] };
    expect(await runProbe({ httpGet: { path: '/ok', port: 'http' } }, target(container))).to.deep.equal({ ok: true });
    expect(await runProbe({ httpGet: { path: '/ok', port: 'admin' } }, target(container))).to.deep.equal({ ok: false, message: 'unable to find port "admin" in container app' });
  });

  it('probes HTTPS without verifying the certificate', async function () {
    const tmp = await tempDir();
    cleanups.push(() => tmp.remove());
    const [key, cert] = [path.join(tmp.dir, 'key.pem'), path.join(tmp.dir, 'cert.pem')];
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    } catch {
      this.skip(); // openssl is needed to make a self-signed certificate
    }
    const s = await probeServer((h) => https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, h));
    cleanups.push(s.close);
    expect(await runProbe({ httpGet: { path: '/ok', port: s.port, scheme: 'HTTPS' } }, target())).to.deep.equal({ ok: true });
  });

  it('passes a tcpSocket probe when the port accepts, and words a refusal like the kubelet', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, ip, resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    expect(await runProbe({ tcpSocket: { port } }, target())).to.deep.equal({ ok: true });
    expect(await runProbe({ tcpSocket: { port: 8080, host: closedIP } }, target())).to.deep.equal({ ok: false, message: `dial tcp ${closedIP}:8080: connect: connection refused` });
  });

  it('runs an exec probe in the container\'s environment: exit 0 passes, otherwise its output is the message', async () => {
    const env = { MODE: 'healthy' };
    expect(await runProbe({ exec: { command: ['sh', '-c', 'test "$MODE" = healthy'] } }, target({}, env))).to.deep.equal({ ok: true });
    const failed = await runProbe({ exec: { command: ['sh', '-c', 'echo "mode is $MODE"; exit 1'] } }, target({}, { MODE: 'sick' }));
    expect(failed).to.deep.equal({ ok: false, message: 'mode is sick' });
  });

  it('fails an exec probe that outlives its timeout, killing it', async () => {
    const t0 = Date.now();
    const result = await runProbe({ exec: { command: ['sh', '-c', 'sleep 5'] }, timeoutSeconds: 0.2 }, target());
    expect(Date.now() - t0).to.be.below(2000);
    expect(result).to.deep.equal({ ok: false, message: 'command "sh -c sleep 5" timed out' });
  });

  it('rejects grpc probes as unsupported', async () => {
    expect(await runProbe({ grpc: { port: 9090 } }, target())).to.deep.equal({ ok: false, message: 'grpc probes are not supported by the embedded cluster' });
  });
});
