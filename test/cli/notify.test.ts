import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { closedPort, fixedDelay, startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';

/** Every file of a run folder, as text, to search for a secret. */
async function folderText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = names.filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
  return (await Promise.all(files.map((f) => readFile(f, 'latin1')))).join('\n');
}

describe('crt run --notify and notify:', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let servers: TestServer[] = [];
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await tmp.remove();
  });

  const plan = (url: string, expect: string) => `apiVersion: crt/v1
metadata: {name: notified}
targets:
  srv: {url: "${url}"}
notify:
  - {format: json, urlEnv: CRT_TEST_HOOK, on: always}
layers:
  logical:
    - {id: LOG-01, title: steady, objective: serve, load: {target: srv, rate: 10, duration: 1s}, expect: {whole: ${expect}}}
`;

  async function hook(status: number) {
    const bodies: Array<Record<string, unknown>> = [];
    const server = await startServer((req, res) => {
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(data) as Record<string, unknown>);
        res.statusCode = status;
        res.end();
      });
    });
    servers.push(server);
    return { server, bodies };
  }

  it('sends the run\'s outcome to the plan\'s webhook, and the --notify one only when due (on failure, the run passed)', async () => {
    const target = await startServer(fixedDelay(0));
    servers.push(target);
    const json = await hook(200);
    const slack = await hook(200);
    const file = await writePlan(tmp.dir, plan(target.url, '{errorRate: 0%}'));
    const r = await crt(['run', file, '--out', path.join(tmp.dir, 'reports'), '--notify', 'slack:CRT_TEST_SLACK'], {
      env: { CRT_TEST_HOOK: `${json.server.url}/hook/s3cr3t-token-1234`, CRT_TEST_SLACK: `${slack.server.url}/T0/B0/xoxb-secret-5678` },
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(json.bodies).to.have.length(1);
    expect(json.bodies[0]).to.deep.include({ kind: 'crt-run-outcome', status: 'passed', headline: 'PASSED (exit 0) — 1/1 case passed', failedCases: [] });
    expect(String(json.bodies[0]!.report)).to.match(/report\.html$/);
    expect(slack.server.count).to.equal(0);
    expect(r.stderr).to.contain('notified json (urlEnv CRT_TEST_HOOK)\n');
    const text = await folderText(r.stdout.trim());
    expect(text).not.to.contain('s3cr3t-token-1234');
    expect(text).not.to.contain('xoxb-secret-5678');
  });

  it('keeps the exit code of a failed run when the webhook cannot be reached, warns without the URL, and writes the URL nowhere', async () => {
    const target = await startServer(fixedDelay(0));
    servers.push(target);
    const port = await closedPort();
    const file = await writePlan(tmp.dir, plan(target.url, '{p50: 0ms}'));
    const r = await crt(['run', file, '--out', path.join(tmp.dir, 'reports')], { env: { CRT_TEST_HOOK: `http://127.0.0.1:${port}/hook/s3cr3t-token-1234` } });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('warning: notification json (urlEnv CRT_TEST_HOOK) not delivered: ECONNREFUSED\n');
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.match(/^FAILED \(exit 1\)/);
    expect(r.stderr + r.stdout).not.to.contain('s3cr3t-token-1234');
    expect(await folderText(r.stdout.trim())).not.to.contain('s3cr3t-token-1234');
  });

  it('runs, with a warning, when the webhook\'s variable is unset', async () => {
    const target = await startServer(fixedDelay(0));
    servers.push(target);
    const file = await writePlan(tmp.dir, plan(target.url, '{errorRate: 0%}'));
    const r = await crt(['run', file, '--out', path.join(tmp.dir, 'reports')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('warning: notification json (urlEnv CRT_TEST_HOOK) will not be sent: CRT_TEST_HOOK is not set\n');
  });

  it('on change: tells of the plan\'s first run, not of a second with the same outcome', async () => {
    const target = await startServer(fixedDelay(0));
    servers.push(target);
    const json = await hook(200);
    const file = await writePlan(tmp.dir, plan(target.url, '{errorRate: 0%}').replace('on: always', 'on: change'));
    const run = () => crt(['run', file, '--out', path.join(tmp.dir, 'reports')], { env: { CRT_TEST_HOOK: `${json.server.url}/hook` } });
    const first = await run();
    expect(first.code, first.stderr).to.equal(0);
    expect(json.bodies).to.have.length(1);
    const second = await run();
    expect(second.code, second.stderr).to.equal(0);
    expect(json.bodies).to.have.length(1);
    expect(second.stderr).not.to.contain('notified json');
  });

  it('refuses --notify with a URL instead of a variable name, exit 2, before any run folder', async () => {
    const file = await writePlan(tmp.dir, plan('http://127.0.0.1:1', '{errorRate: 0%}'));
    const r = await crt(['run', file, '--out', path.join(tmp.dir, 'reports'), '--notify', 'slack:https://hooks.slack.com/services/T/B/x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('name the environment variable that holds the webhook URL');
    expect(r.stderr).not.to.contain('hooks.slack.com');
    expect(await readdir(tmp.dir)).not.to.include('reports');
  });
});
