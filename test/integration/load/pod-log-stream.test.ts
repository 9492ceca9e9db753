import type http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { followContainerLog } from '../../../src/distributed/pod-log-stream.js';
import { kubeClients, writeEmbeddedKubeconfig, type KubeClients } from '../../../src/kube/index.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

/**
 * A real HTTP server standing in for the API server's pods/log: the `worker` container's log is
 * streamed (follow) in parts, as the kubelet does while a container writes; a pod with a sidecar
 * refuses a request that names no container (400), as the API server does.
 */
describe('distributed load reads its generators\' logs as one followed stream of the named container', function () {
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let kube: KubeClients;
  const requests: URL[] = [];
  let stream: http.ServerResponse | null = null;

  beforeEach(async () => {
    requests.length = 0;
    stream = null;
    tmp = await tempDir();
    server = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url);
      if (url.searchParams.get('container') !== 'worker') {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ kind: 'Status', code: 400, message: 'a container name must be specified for pod w-0, choose one of: [worker istio-proxy]' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      res.write('line 1\nline ');
      stream = res;
    });
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, server.url);
    kube = kubeClients({ kubeconfig });
  });

  afterEach(async () => {
    await server.close();
    await tmp.remove();
  });

  it('streams the lines of the named container over one request, as they are written, until the log ends', async () => {
    const lines: string[] = [];
    const reading = (async () => {
      for await (const l of followContainerLog(kube, 'load', 'w-0', 'worker', new AbortController().signal)) lines.push(l);
    })();
    await until('the first line', () => lines.length === 1);
    stream!.write('2\nline 3\n');
    await until('the next lines', () => lines.length === 3);
    stream!.end('line 4\n');
    await reading;
    expect(lines).to.deep.equal(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(requests).to.have.length(1);
    expect(Object.fromEntries(requests[0]!.searchParams)).to.deep.include({ container: 'worker', follow: 'true' });
  });

  it('throws when the log cannot be read, never taking it for an empty log', async () => {
    const err = await (async () => {
      for await (const l of followContainerLog(kube, 'load', 'w-0', 'k6', new AbortController().signal)) void l;
    })().then(() => null, (e: unknown) => e);
    expect((err as Error).message).to.equal('cannot read the log of container k6 of pod load/w-0: the API server answered 400 (no such container in the pod, or it has not started)');
  });
});
