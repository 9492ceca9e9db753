import { expect } from 'chai';
import { notifyRun, type NotifyTarget } from '../../../src/notify/index.js';
import { closedPort, startServer, type TestServer } from '../../helpers/servers.js';
import { fixtureRun } from '../../unit/report/fixture.js';

/** A webhook receiver on 127.0.0.1:0 that keeps what it received and answers `status`. */
async function receiver(status: number, answer = ''): Promise<{ server: TestServer; bodies: unknown[]; types: string[] }> {
  const bodies: unknown[] = [];
  const types: string[] = [];
  const server = await startServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      types.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      res.statusCode = status;
      res.end(answer);
    });
  });
  return { server, bodies, types };
}

const target = (url: string, t: Partial<NotifyTarget> = {}): NotifyTarget => ({ name: 'json (urlEnv HOOK)', format: 'json', on: 'failure', url, ...t });

describe('notifications to a webhook', () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('posts the outcome as JSON to the receiver, the report link from reportUrl', async () => {
    const r = await receiver(200, 'ok');
    servers.push(r.server);
    const out = await notifyRun(fixtureRun(), [target(`${r.server.url}/hook/secret-token`, { reportUrl: 'https://ci.example/{plan}/{runId}/report.html' })], { reportPath: '/local/report.html', previousOutcome: null });
    expect(out).to.deep.equal([{ name: 'json (urlEnv HOOK)', status: 'sent' }]);
    expect(r.types).to.deep.equal(['POST /hook/secret-token application/json']);
    expect(r.bodies[0]).to.deep.include({ kind: 'crt-run-outcome', headline: 'FAILED (exit 1) — 1/3 cases passed, 1 failed, 1 not run', report: 'https://ci.example/demo-crt/run-2024-05-01-1000/report.html' });
  });

  it('sends nothing to a target that is not due, and says why', async () => {
    const r = await receiver(200);
    servers.push(r.server);
    const out = await notifyRun(fixtureRun(), [target(r.server.url, { on: 'change' })], { reportPath: 'r', previousOutcome: 'FAILED' });
    expect(out).to.deep.equal([{ name: 'json (urlEnv HOOK)', status: 'not-due', detail: 'on change, and the outcome is FAILED as in the previous run' }]);
    expect(r.server.count).to.equal(0);
  });

  it('reports a receiver\'s error answer and an unreachable one as failed deliveries, never throwing nor naming the URL, and still tries the next', async () => {
    const failing = await receiver(500, 'boom');
    const ok = await receiver(204);
    servers.push(failing.server, ok.server);
    const port = await closedPort();
    const out = await notifyRun(fixtureRun(), [
      target(`${failing.server.url}/secret-a`, { name: 'slack (urlEnv A)', format: 'slack' }),
      target(`http://127.0.0.1:${port}/secret-b`, { name: 'teams (urlEnv B)', format: 'teams' }),
      target(`${ok.server.url}/secret-c`),
    ], { reportPath: 'r', previousOutcome: null });
    expect(out).to.deep.equal([
      { name: 'slack (urlEnv A)', status: 'failed', detail: 'HTTP 500: boom' },
      { name: 'teams (urlEnv B)', status: 'failed', detail: 'ECONNREFUSED' },
      { name: 'json (urlEnv HOOK)', status: 'sent' },
    ]);
    expect(failing.bodies).to.have.length(1);
    expect(ok.bodies).to.have.length(1);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const silent = await startServer(() => undefined);
    servers.push(silent);
    const out = await notifyRun(fixtureRun(), [target(silent.url)], { reportPath: 'r', previousOutcome: null, timeoutMs: 300 });
    expect(out).to.deep.equal([{ name: 'json (urlEnv HOOK)', status: 'failed', detail: 'no answer within 0.3 s' }]);
  });
});
