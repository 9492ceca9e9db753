import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { RunResult } from '../../src/results/types.js';
import { CRT_BIN, crt, type CliRun } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { fixedDelay, startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

describe('manual steps: skipped without a person, --assume-done, crt confirm from another shell', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  beforeEach(async () => {
    tmp = await tempDir();
    server = await startServer(fixedDelay(1));
  });
  afterEach(async () => {
    await server.close();
    await tmp.remove();
  });

  const plan = () => `apiVersion: crt/v1
metadata: {name: manual}
targets:
  srv: {url: "${server.url}"}
layers:
  physical:
    - id: PHY-01
      title: switch power-off
      objective: traffic survives the loss of one switch
      load: {target: srv, rate: 20, duration: 3s}
      trigger:
        - {at: 1s, fault: manual, name: switch-off, instruction: power off switch sw-2 in rack B, timeout: 20s}
`;
  const runJson = async (id: string) => JSON.parse(await readFile(path.join(tmp.dir, 'reports', id, 'run.json'), 'utf8')) as RunResult;

  it('skips the case in a non-interactive run (CI), sending nothing', async () => {
    const file = await writePlan(tmp.dir, plan());
    const r = await crt(['run', file, '--run-id', 'ci'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    const [c] = (await runJson('ci')).cases;
    expect(c!.verdict).to.equal('skipped');
    expect(c!.reason).to.equal('skipped: manual step switch-off ("power off switch sw-2 in rack B") needs a person — run crt in a terminal, with --wait-confirm (crt confirm from another shell), or with --assume-done');
    expect(server.count).to.equal(0);
  });

  it('takes the step as done with --assume-done', async () => {
    const file = await writePlan(tmp.dir, plan());
    const r = await crt(['run', file, '--run-id', 'assumed', '--assume-done'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(0);
    const [c] = (await runJson('assumed')).cases;
    expect(c!.verdict, c!.reason).to.equal('passed');
    const inject = c!.events.find((e) => e.kind === 'inject');
    expect(inject).to.include({ name: 'switch-off', ok: true });
    expect(inject!.detail).to.match(/^manual: power off switch sw-2 in rack B: confirmed by --assume-done after \d+ms$/);
  });

  it('waits, with the load running, until crt confirm is run from another shell, and records how long the person took', async () => {
    const file = await writePlan(tmp.dir, plan());
    const child = spawn(process.execPath, [CRT_BIN, 'run', file, '--run-id', 'waited', '--wait-confirm'], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until('the manual step is announced', () => stderr.includes('MANUAL STEP PHY-01/switch-off: power off switch sw-2 in rack B'), 20_000);
    // crt waits from before the announcement we saw until it reads the confirmation: at least the time in between
    const announcedAt = Date.now();
    expect(stderr).to.contain('the load keeps running; when it is done, run: crt confirm waited switch-off --out reports');
    const early: CliRun = await crt(['confirm', 'waited', 'other-step'], { cwd: tmp.dir });
    expect(early.code).to.equal(2);
    expect(early.stderr).to.contain('error: no manual step other-step is waiting in');
    expect(early.stderr).to.contain('(waiting: PHY-01/switch-off)');
    const confirmedAfterMs = Date.now() - announcedAt;
    const ok = await crt(['confirm', 'waited', 'switch-off'], { cwd: tmp.dir });
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stderr).to.equal('confirmed PHY-01/switch-off of run waited\n');
    expect(await exited, stderr).to.equal(0);
    const [c] = (await runJson('waited')).cases;
    const inject = c!.events.find((e) => e.kind === 'inject')!;
    expect(inject.detail).to.match(/^manual: power off switch sw-2 in rack B: confirmed by crt confirm \(.+@.+\) after \d+(\.\d+)?m?s$/);
    // two processes' clocks, each read to the millisecond: a few ms of slack
    expect((inject.data as { waitedMs: number }).waitedMs).to.be.at.least(confirmedAfterMs - 5);
  });
});
