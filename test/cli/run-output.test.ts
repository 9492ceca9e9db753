import { execFile, execFileSync } from 'node:child_process';
import { access, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { CRT_BIN, crt } from '../helpers/cli.js';
import { writePlan } from '../helpers/run.js';
import { closedPort, fixedDelay, startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import type { RunResult } from '../../src/results/types.js';

const exists = (p: string) => access(p).then(() => true, () => false);
const isRoot = process.getuid?.() === 0;

describe('crt run: run ids and output folders', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | null = null;
  const mounts: string[] = [];
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => {
    for (const m of mounts.splice(0)) execFileSync('umount', [m]);
    await server?.close();
    server = null;
    await tmp.remove();
  });

  const plan = (url: string, extra = '', trigger = '') => `apiVersion: crt/v1
metadata: {name: out}
targets:
  srv: {url: "${url}"}
${extra}layers:
  logical:
    - {id: LOG-01, title: t, objective: o, load: {target: srv, connections: 1, duration: 1s}${trigger}}
`;

  /** crt under `ulimit -n <limit>`, set by the shell that execs it: Node cannot lower its own limit. */
  function crtWithOpenFiles(limit: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      execFile('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, CRT_BIN, ...args],
        { cwd: tmp.dir, env: { PATH: process.env.PATH ?? '', CRT_PDF: 'off' }, timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }));
    });
  }

  /** A read-only tmpfs (root only, as in CI): `content` is copied in before it turns read-only. */
  async function readOnlyMount(content?: string): Promise<string> {
    const dir = path.join(tmp.dir, 'ro');
    await mkdir(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    mounts.push(dir);
    if (content) await cp(content, path.join(dir, path.basename(content)), { recursive: true });
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    return dir;
  }

  it('refuses a --run-id that is not a plain folder name (exit 2), before anything is created', async () => {
    const file = await writePlan(tmp.dir, plan('http://127.0.0.1:9'));
    const cases: Array<[string, string]> = [
      ['../../etc/x', 'has characters other than letters, digits, ".", "_" and "-"'],
      [path.join(tmp.dir, 'abs'), 'has characters other than letters, digits, ".", "_" and "-"'],
      ['', 'is empty'],
      ['a\nb', 'has characters other than letters, digits, ".", "_" and "-"'],
      ['..', 'is not a folder of its own under --out'],
      ['r'.repeat(300), 'has 300 characters (at most 100)'],
    ];
    for (const [id, why] of cases) {
      const r = await crt(['run', file, '--run-id', id], { cwd: tmp.dir });
      expect(r.code, id).to.equal(2);
      const [first, hint, rest] = r.stderr.split('\n');
      expect(first).to.match(/^error: --run-id ".*" /).and.to.include(why);
      expect(hint).to.equal('hint: a run id is a folder name: 1 to 100 of A-Z a-z 0-9 . _ -, e.g. --run-id nightly-2026-12-07');
      expect(rest).to.equal('');
    }
    expect(await readdir(tmp.dir)).to.deep.equal(['plan.yaml']);
    expect(await exists(path.resolve(tmp.dir, 'reports', '../../etc/x'))).to.equal(false);
  });

  it('says an --out that is a file is the environment (exit 3), with the reason and no stack', async () => {
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url));
    await writeFile(path.join(tmp.dir, 'out'), 'a file\n');
    for (const [out, reason] of [['out', 'EEXIST (a file is in the way)'], ['out/sub', 'ENOTDIR (a part of the path is a file, not a folder)']]) {
      const r = await crt(['run', file, '--out', out!], { cwd: tmp.dir });
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.equal(`error: cannot write the output folder ${out}: ${reason}\nhint: give --out a folder this user can write (it is created if missing)\n`);
    }
    expect(server.count).to.equal(0);
  });

  it('says a read-only --out is the environment (exit 3): EROFS, not a stack', async function () {
    if (!isRoot) this.skip(); // mounting a read-only tmpfs needs root (CI runs as root)
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url));
    const ro = await readOnlyMount();
    const r = await crt(['run', file, '--out', 'ro/reports'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.equal('error: cannot write the output folder ro/reports: EROFS (read-only file system)\nhint: give --out a folder this user can write (it is created if missing)\n');
    expect(await readdir(ro)).to.deep.equal([]);
  });

  it('crt report into a read-only run folder is exit 3 before rendering', async function () {
    if (!isRoot) this.skip(); // mounting a read-only tmpfs needs root (CI runs as root)
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url));
    expect((await crt(['run', file, '--run-id', 'r1'], { cwd: tmp.dir })).code).to.equal(0);
    const ro = await readOnlyMount(path.join(tmp.dir, 'reports', 'r1'));
    const before = await readdir(path.join(ro, 'r1'));
    const r = await crt(['report', path.join(ro, 'r1')], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.equal(`error: cannot write the reports into ${path.join(ro, 'r1')}: EROFS (read-only file system)\nhint: run crt report on a writable copy of the run folder (cp -r)\n`);
    expect(await readdir(path.join(ro, 'r1'))).to.deep.equal(before);
  });

  it('crt confirm refuses a run id that is not a folder name (exit 2) and writes nothing outside --out', async () => {
    await mkdir(path.join(tmp.dir, 'elsewhere', 'confirm'), { recursive: true });
    await writeFile(path.join(tmp.dir, 'elsewhere', 'confirm', 'PHY-01--switch-off.waiting'), '{}\n');
    const r = await crt(['confirm', '../elsewhere', 'switch-off'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.equal('error: run id "../elsewhere" has characters other than letters, digits, ".", "_" and "-"\nhint: a run id is a folder name: 1 to 100 of A-Z a-z 0-9 . _ -, e.g. --run-id nightly-2026-12-07\n');
    expect(await readdir(path.join(tmp.dir, 'elsewhere', 'confirm'))).to.deep.equal(['PHY-01--switch-off.waiting']);
  });

  it('crt confirm into a run folder it cannot write is the environment (exit 3), not a usage error', async function () {
    if (!isRoot) this.skip(); // mounting a read-only tmpfs needs root (CI runs as root)
    await mkdir(path.join(tmp.dir, 'reports', 'r1', 'confirm'), { recursive: true });
    await writeFile(path.join(tmp.dir, 'reports', 'r1', 'confirm', 'PHY-01--switch-off.waiting'), '{}\n');
    const ro = await readOnlyMount(path.join(tmp.dir, 'reports', 'r1'));
    const r = await crt(['confirm', 'r1', 'switch-off', '--out', ro], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.match(/^error: cannot confirm switch-off of run r1 in .*\/ro\/r1: .*EROFS/);
    expect(r.stderr).to.contain('hint: crt confirm writes the confirmation into the run folder');
    expect(await readdir(path.join(ro, 'r1', 'confirm'))).to.deep.equal(['PHY-01--switch-off.waiting']);
  });

  it('a start refused once the run folder exists (cluster unreachable) leaves no run folder', async () => {
    server = await startServer(fixedDelay(1));
    const port = await closedPort();
    await writeFile(path.join(tmp.dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
current-context: c
`);
    const file = await writePlan(tmp.dir, plan(server.url, 'cluster: {kubeconfig: kubeconfig, namespaces: [demo]}\n', ', trigger: [{at: 0s, fault: pod-kill, namespace: demo, selector: "app=x"}]'));
    const r = await crt(['run', file, '--run-id', 'r1'], { cwd: tmp.dir });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.include('no case ran: removed the run folder reports/r1\n');
    expect(r.stderr).to.match(/error: cannot take the run lease .*ECONNREFUSED/);
    expect(await readdir(path.join(tmp.dir, 'reports'))).to.deep.equal([]);
    expect(server.count).to.equal(0);
  });

  it('blames a generator out of file descriptors on the generator: EMFILE named, the case inconclusive, exit 1', async () => {
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url).replace('connections: 1, duration: 1s}', 'connections: 1200, rate: 100, duration: 1s}, abortIf: ["errorRate > 1% for 1s"]'));
    // Node needs ~800 descriptors to load crt's modules: 1024 (the limit of the report) and 1200 connections
    const r = await crtWithOpenFiles(1024, ['run', file, '--run-id', 'fd']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.include('warning: case LOG-01 opens 1200 connections but this process may open 1024 files (ulimit -n)');
    const run = JSON.parse(await readFile(path.join(tmp.dir, 'reports', 'fd', 'run.json'), 'utf8')) as RunResult;
    const c = run.cases[0]!;
    expect(c.verdict).to.equal('inconclusive');
    expect(c.reason).to.match(/^a load generator failed: generator 0: EMFILE: \d+ connection attempts? failed because this process ran out of file descriptors \(limit 1024, ulimit -n\) with 1200 connections: failures of the load generator, not of the service — raise ulimit -n/);
    expect(r.stderr).to.match(/INCONCLUSIVE LOG-01 .*EMFILE/);
    expect(server.count).to.be.greaterThan(0);
  });

  it('says an open-files limit too low for crt to start is the environment (exit 3), not a stack', async () => {
    server = await startServer(fixedDelay(1));
    const file = await writePlan(tmp.dir, plan(server.url));
    const r = await crtWithOpenFiles(64, ['run', file, '--run-id', 'low']);
    expect(r.code, r.stderr).to.equal(3);
    const [first, hint, rest] = r.stderr.split('\n');
    // Node's loader reports the EMFILE, or now and then a module "not found" because of it
    expect(first).to.match(/^error: too many open files: (EMFILE: too many open files, open|Cannot find) .* \(open-files limit 64, ulimit -n\)$/);
    expect(hint).to.equal('hint: crt needs about 1024 open files to start, plus one per load connection: raise the limit (ulimit -n 65536)');
    expect(rest).to.equal('');
    expect(await readdir(tmp.dir)).to.deep.equal(['plan.yaml']);
    expect(server.count).to.equal(0);
  });
});
