import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { crt } from '../helpers/cli.js';
import { dockerfile } from '../helpers/dockerfile.js';
import { REPO } from '../helpers/grafana.js';
import { fixedDelay, startServer, type TestServer } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

/**
 * Lays out the crt image's file system under `root` the way deploy/k8s/Dockerfile builds it, without a
 * Docker engine (there is none here): each COPY of the final stage from this checkout, the build stage's
 * dist/src from this checkout's build, and for `npm ci --omit=dev` only the production packages of
 * node_modules (as npm lists them). Any other instruction the test does not know fails it, so a change to
 * the Dockerfile is a change this test must follow.
 */
async function stageImage(root: string): Promise<{ appDir: string; workDir: string; env: Record<string, string> }> {
  let cwd = '/';
  let appDir = '';
  const env: Record<string, string> = {};
  const at = (p: string) => path.join(root, path.isAbsolute(p) ? p : path.join(cwd, p));
  for (const line of dockerfile().final) {
    const [op, ...args] = line.split(/\s+/) as [string, ...string[]];
    if (op === 'FROM' || op === 'USER' || op === 'ENTRYPOINT' || op === 'CMD') continue;
    if (op === 'ENV') {
      for (const kv of args) env[kv.split('=')[0] as string] = kv.slice(kv.indexOf('=') + 1);
    } else if (op === 'WORKDIR') {
      cwd = args[0] as string;
      appDir ||= cwd;
      await mkdir(at('.'), { recursive: true });
    } else if (op === 'COPY' && args[0] === '--from=build') {
      expect(args.slice(1), line).to.deep.equal(['/app/dist/src', './dist/src']);
      await cp(path.join(REPO, 'dist/src'), at('dist/src'), { recursive: true });
    } else if (op === 'COPY') {
      const dest = args.at(-1) as string;
      for (const src of args.slice(0, -1)) await cp(path.join(REPO, src), dest.endsWith('/') ? at(path.join(dest, src)) : at(dest), { recursive: true });
    } else if (op === 'RUN' && /^RUN npm ci --omit=dev\b/.test(line)) {
      const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, maxBuffer: 16 << 20 });
      const packages = stdout.split('\n').filter((p) => p.startsWith(path.join(REPO, 'node_modules') + path.sep));
      expect(packages.length, 'production packages').to.be.greaterThan(20);
      for (const p of packages) await cp(p, at(path.relative(REPO, p)), { recursive: true, filter: (src) => !src.slice(p.length).includes(`${path.sep}node_modules${path.sep}`) });
    } else if (op === 'RUN' && args[0] === 'ln') {
      continue; // the /usr/local/bin/crt link: the test runs bin/crt.js itself
    } else {
      expect.fail(`the image test does not know the instruction: ${line}`);
    }
  }
  return { appDir: path.join(root, appDir), workDir: at('.'), env };
}

describe('the crt image (deploy/k8s/Dockerfile), laid out without Docker', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let image: Awaited<ReturnType<typeof stageImage>>;
  before(async () => {
    tmp = await tempDir();
    server = await startServer(fixedDelay(1));
    image = await stageImage(path.join(tmp.dir, 'rootfs'));
  });
  after(async () => {
    await server.close();
    await tmp.remove();
  });

  /** crt as the image's ENTRYPOINT runs it: from /work, with the image's ENV and no development package. */
  const crtIn = (args: string[]) => crt(args, { bin: path.join(image.appDir, 'bin/crt.js'), cwd: image.workDir, env: { ...image.env, CI: '1' } });

  it('holds only production packages: no TypeScript, mocha or eslint in node_modules', async () => {
    const modules = await readdir(path.join(image.appDir, 'node_modules'));
    expect(modules).to.include.members(['autocannon', 'yaml', 'commander', '@kubernetes']);
    expect(modules.filter((m) => ['typescript', 'mocha', 'eslint', 'chai', 'concurrently'].includes(m))).to.deep.equal([]);
  });

  it('prints its help and validates the shipped nightly plan (extends and select resolved inside the image)', async () => {
    const help = await crtIn(['--help']);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/Exit codes:/);
    const v = await crtIn(['validate', path.join(image.appDir, 'test-plans/nightly.yaml')]);
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout).to.match(/plan "nightly".*\n.*17 cases/);
  });

  it('runs a plan with load and a fault from its working folder and writes the run folder there', async () => {
    await writeFile(path.join(image.workDir, 'plan.yaml'), `apiVersion: crt/v1
metadata: {name: image-check}
targets: {srv: {url: "${server.url}"}}
layers:
  logical:
    - id: LOG-01
      title: load and an exec fault inside the image
      objective: the image runs the load engine, the faults and the reporters
      load: {target: srv, rate: 30, connections: 2, duration: 3s}
      trigger: [{at: 1s, fault: exec, name: noop, command: "true", revertCommand: "true", revertAfter: 1s}]
      expect: {whole: {errorRate: 0%}}
`);
    const r = await crtIn(['run', 'plan.yaml', '--run-id', 'img1']);
    expect(r.code, r.stderr).to.equal(0);
    const dir = path.join(image.workDir, 'reports/img1');
    expect(r.stdout.trim()).to.equal(dir);
    const files = await readdir(dir);
    expect(files).to.include.members(['run.json', 'timeseries.jsonl', 'report.html', 'report.md', 'junit.xml']);
    const result = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { cases: Array<{ verdict: string }> };
    expect(result.cases.map((c) => c.verdict)).to.deep.equal(['passed']);
  });
});
