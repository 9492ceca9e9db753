import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { crt } from '../../helpers/cli.js';
import { Influxd, requireInfluxd } from '../../helpers/influxd.js';
import { writePlan } from '../../helpers/run.js';
import { startServer, type TestServer } from '../../helpers/servers.js';
import { tempDir } from '../../helpers/tmp.js';

/** Planted secrets: a header from ${TOKEN}, a target URL password, the --influx-url password, an exec env value. */
const SECRETS = {
  token: 'tok-SECRET-a1b2c3',
  urlPassword: 'urlpw-SECRET-d4e5',
  influxPassword: 'influx-SECRET-f6g7',
  execSecret: 'exec-SECRET-h8i9',
};
const HOSTILE = 'web; touch pwned';

/** Every file under `dir`, recursively (charts/ included), with its content. */
async function allFiles(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(full)));
    else out.push({ file: path.relative(dir, full), text: await readFile(full, 'latin1') });
  }
  return out;
}

describe('crt run: no secret in any artifact (docs/concepts/safety.md)', function () {
  this.timeout(90_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | null = null;
  let influxd: Influxd | null = null;
  before(function () {
    requireInfluxd(this);
  });
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    await server?.close();
    await influxd?.destroy();
    server = null;
    influxd = null;
    await tmp.remove();
  });

  it('sends the real credentials and writes none of them: run folder (every file), InfluxDB points, stdout and stderr', async () => {
    const authorizations = new Set<string>();
    server = await startServer((req, res) => {
      authorizations.add(req.headers.authorization ?? '');
      res.end('ok');
    });
    influxd = await Influxd.start({ auth: true });
    await influxd.query(`CREATE USER admin WITH PASSWORD '${SECRETS.influxPassword}' WITH ALL PRIVILEGES`);
    const url = `http://alice:${SECRETS.urlPassword}@127.0.0.1:${server.port}`;
    const file = await writePlan(tmp.dir, `apiVersion: crt/v1
metadata: {name: secrets}
targets:
  srv: {url: "${url}", headers: {authorization: "Bearer \${TOKEN}"}}
layers:
  logical:
    - id: LOG-01
      title: secrets
      objective: the run works and writes no secret
      load: {target: srv, connections: 2, duration: 2s}
      trigger:
        - {at: 0s, fault: exec, name: leak, command: "printf '%s' \${NAME} > received.txt; echo \\"sent $API_KEY\\"", revertCommand: "echo \\"reverted $API_KEY\\"", env: {API_KEY: "\${EXEC_SECRET}"}, revertAfter: 1s}
      expect: {whole: {errorRate: 0%}}
`);
    const influxUrl = `http://admin:${SECRETS.influxPassword}@127.0.0.1:${influxd.port}`;
    const r = await crt(['run', file, '--run-id', 's1', '--log-level', 'debug', '--influx-url', influxUrl], {
      cwd: tmp.dir,
      env: { TOKEN: SECRETS.token, EXEC_SECRET: SECRETS.execSecret, NAME: HOSTILE },
    });
    expect(r.code, r.stderr).to.equal(0);

    // the run still sends the real header, and the exec fault got the real values
    expect([...authorizations]).to.include(`Bearer ${SECRETS.token}`);
    expect(await readFile(path.join(tmp.dir, 'received.txt'), 'utf8')).to.equal(HOSTILE);
    expect(await readdir(tmp.dir)).to.not.include('pwned');

    const dir = path.join(tmp.dir, 'reports', 's1');
    const files = await allFiles(dir);
    expect(files.map((f) => f.file)).to.include.members(['run.json', 'events.jsonl', 'timeseries.jsonl', 'journal.jsonl', 'crt.log', 'report.html', 'report.md', 'junit.xml']);
    expect(files.find((f) => f.file === 'crt.log')!.text, 'crt.log has lines to search').to.match(/InfluxDB sink open/);
    // the exec fault's output (which printed the secret) is recorded, masked
    expect(files.find((f) => f.file === 'events.jsonl')!.text).to.include('sent ***');
    const points = await influxd.query('SELECT * FROM crt_event', 'crt', { username: 'admin', password: SECRETS.influxPassword });
    expect(points.flatMap((s) => s.values), 'crt_event points were written').to.not.be.empty;
    const influxText = JSON.stringify(await Promise.all(['crt_event', 'crt_case', 'crt_load'].map((m) => influxd!.query(`SELECT * FROM ${m}`, 'crt', { username: 'admin', password: SECRETS.influxPassword }))));

    const forms = (v: string) => [v, Buffer.from(`alice:${v}`).toString('base64'), Buffer.from(`admin:${v}`).toString('base64')];
    const leaks: string[] = [];
    for (const [what, value] of Object.entries(SECRETS)) {
      for (const form of forms(value)) {
        for (const f of files) if (f.text.includes(form)) leaks.push(`${what} in ${f.file}`);
        if (influxText.includes(form)) leaks.push(`${what} in InfluxDB`);
        if (r.stdout.includes(form) || r.stderr.includes(form)) leaks.push(`${what} on stdout/stderr`);
      }
    }
    expect(leaks).to.deep.equal([]);
    const run = JSON.parse(files.find((f) => f.file === 'run.json')!.text) as { environment: { command: string; targets: Record<string, string> } };
    expect(run.environment.command).to.equal(`crt run ${file} --run-id s1 --log-level debug --influx-url http://admin:***@127.0.0.1:${influxd.port}`);
    expect(run.environment.targets.srv).to.equal(`http://alice:***@127.0.0.1:${server.port}`);
  });
});
