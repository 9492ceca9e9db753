import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { CRT_BIN, crt } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const BAD_PLANS = fileURLToPath(new URL('../../../test/fixtures/bad-plans/', import.meta.url));

describe('crt validate', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(() => tmp.remove());

  it('prints a summary of a valid plan on stdout and exits 0', async () => {
    await writePlan(tmp.dir, 'connections: 5\nduration: 30s\n', 'scen.yaml');
    const file = await writePlan(tmp.dir, `apiVersion: crt/v1
metadata: {name: shop, title: Shop acceptance}
targets: {gw: {url: "http://127.0.0.1:1"}}
layers:
  logical:
    - {id: LOG-01, title: a, objective: b, load: {target: gw, scenario: scen.yaml}}
    - {id: LOG-02, title: a, objective: b, load: {target: gw, rate: 10, duration: 1m}}
  auxiliary:
    - {id: AUX-01, title: a, objective: b, conditions: [{probe: command, command: "true"}]}
`);
    const r = await crt(['validate', file], { cwd: tmp.dir });
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(
      'plan.yaml: valid — plan "shop" (Shop acceptance)\n' +
        '  physical 0, logical 2, auxiliary 1 — 3 cases\n' +
        '  planned duration 1m30s (load and timelines; conditions come on top)\n',
    );
    expect(r.stderr).to.equal('');
  });

  it('prints every problem located as file:line:col path: message with a hint, and exits 2 without a stack', async () => {
    const file = await writePlan(tmp.dir, `apiVersion: crt/v1
metadata: {name: shop}
targets: {gw: {url: "http://127.0.0.1:1"}}
layers:
  logical:
    - id: LOG-01
      title: a
      objective: b
      load: {target: gw, conections: 5, duration: 30}
`);
    const r = await crt(['validate', file], { cwd: tmp.dir });
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal(
      'plan.yaml:9:26 layers.logical[0].load.conections: unknown key "conections"\n  hint: did you mean "connections"?\n' +
        'plan.yaml:9:51 layers.logical[0].load.duration: must be a duration such as 30s, 2m30s or 500ms\n  hint: a number alone is ambiguous: add a unit (ms, s, m, h)\n' +
        `${file}: 2 problems in the plan\n`,
    );
  });

  it('rejects every malformed plan of the fixtures with a located message and exit 2, without a stack', async () => {
    const files = (await readdir(BAD_PLANS)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).to.be.at.least(30);
    // one process validates them all (each file is also checked alone, in-process, by test/unit/plan/bad-plans.test.ts)
    const r = await crt(['validate', ...files], { cwd: BAD_PLANS, env: { PORT: '8080' } });
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).not.to.match(/^\s+at /m);
    for (const f of files) {
      expect(r.stderr, f).to.match(new RegExp(`^${f.replace(/\./g, '\\.')}: \\d+ problems? in the plan$`, 'm'));
    }
    const located = r.stderr.split('\n').filter((l) => /^\S+\.yaml:\d+:\d+ /.test(l)).map((l) => l.split(':')[0]);
    const refs = new Set(['refs/scen-bad.yaml', 'refs/scen-empty.yaml', 'refs/chaos-bad.yaml', 'refs/chaos-list.yaml', 'refs/cycle-a.yaml', 'refs/cycle-b.yaml']);
    for (const f of files) expect(located.includes(f) || [...refs].some((ref) => located.includes(ref)), f).to.equal(true);
  });

  it('exits 2 with a usage message for an unknown command', async () => {
    const r = await crt(['valdiate', 'x.yaml']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/unknown command 'valdiate'/);
  });

  it('lists the commands and the exit codes in --help', async () => {
    const r = await crt(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/validate <plan\.\.\.>/);
    expect(r.stdout).to.match(/run \[options\] <plan>/);
    expect(r.stdout).to.match(/Exit codes:\n\s+0\s+every selected case passed/);
  });

  it('exits quietly when the reader of its output has gone (crt --help | head): no EPIPE stack', async () => {
    const child = spawn(process.execPath, [CRT_BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // close the read end before crt writes: its first write to stdout is EPIPE
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).to.not.match(/EPIPE|Unhandled/);
    expect(code).to.equal(0);
  });
});
