import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../helpers/tmp.js';
import { until } from '../../../helpers/until.js';
import { ContainerProcess } from '../../../../src/localcluster/runtime/container-process.js';
import { alive } from './pod-harness.js';

describe('ContainerProcess', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dir: string;
  const started: ContainerProcess[] = [];
  beforeEach(async () => {
    tmp = await tempDir('crt-process-');
    dir = tmp.dir;
  });
  afterEach(async () => {
    for (const p of started.splice(0)) await p.kill();
    await tmp.remove();
  });

  const start = async (script: string, env: Record<string, string> = {}) => {
    const p = await ContainerProcess.start({ file: process.execPath, args: ['-e', script], env, cwd: dir, logFile: path.join(dir, 'logs', 'app', '0.log') });
    started.push(p);
    return p;
  };
  const log = () => readFileSync(path.join(dir, 'logs', 'app', '0.log'), 'utf8');

  it('appends stdout and stderr to the log file, giving only its env plus PATH, HOME, LANG and TMPDIR', async () => {
    process.env.CRT_TEST_HOST_ONLY = 'leak';
    const p = await start("console.log(Object.keys(process.env).sort().join(',')); console.error('on stderr')", { GREETING: 'hi' });
    delete process.env.CRT_TEST_HOST_ONLY;
    const exit = await p.exited;
    expect(exit).to.include({ exitCode: 0, signal: null });
    const [keys, err] = log().trim().split('\n');
    const hostVars = ['HOME', 'LANG', 'PATH', 'TMPDIR'].filter((k) => process.env[k] !== undefined);
    expect(keys!.split(',').filter((k) => k !== 'GREETING')).to.deep.equal(hostVars);
    expect(keys).to.include('GREETING');
    expect(err).to.equal('on stderr');
  });

  it('stops with SIGTERM to the main process, and reports a signal death as 128 + signal', async () => {
    const p = await start("require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log('ready'); setInterval(() => {}, 1000)");
    await until('the program is ready', () => log().includes('ready'));
    const exit = await p.stop(5000);
    expect(exit).to.include({ exitCode: 143, signal: 'SIGTERM' });
    expect(exit.finishedAt).to.be.at.least(exit.startedAt);
    expect(alive(p.pid)).to.equal(false);
    expect(p.running).to.equal(false);
  });

  it('sends SIGTERM to the main process only, as a runtime signals PID 1: a child it does not pass it on to is SIGKILLed with the group', async () => {
    // the child records a SIGTERM in child-term; the main process notes its own and exits 0
    const child = "process.on('SIGTERM', () => { require('fs').writeFileSync('child-term', ''); process.exit(0) }); setInterval(() => {}, 1000)";
    // the child's pid is printed once both handlers are in place (the child's says so on stdout)
    const p = await start(`process.on('SIGTERM', () => { console.log('main got SIGTERM'); setTimeout(() => process.exit(0), 300) });
      const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child.replace('setInterval', "console.log('armed'); setInterval"))}], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout.once('data', () => console.log('child ' + c.pid));
      setInterval(() => {}, 1000)`);
    await until('the child is started', () => log().includes('child '));
    const childPid = Number(/child (\d+)/.exec(log())![1]);
    const exit = await p.stop(5000);
    expect(exit).to.include({ exitCode: 0, signal: null });
    expect(log()).to.include('main got SIGTERM');
    expect(existsSync(path.join(dir, 'child-term')), 'the child got no SIGTERM').to.equal(false);
    expect(alive(childPid), 'the child is killed with the group').to.equal(false);
  });

  it('SIGKILLs the whole group when the grace is up', async () => {
    const p = await start("process.on('SIGTERM', () => console.log('ignored')); const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log('child ' + c.pid); setInterval(() => {}, 1000)");
    await until('the child is started', () => log().includes('child '));
    const childPid = Number(/child (\d+)/.exec(log())![1]);
    const exit = await p.stop(300);
    expect(exit).to.include({ exitCode: 137, signal: 'SIGKILL' });
    expect(log()).to.include('ignored');
    expect(alive(childPid)).to.equal(false);
  });

  it('kills what is left of the group as soon as the main process exits', async () => {
    const p = await start("const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log(c.pid); setTimeout(() => process.exit(4), 100)");
    const exit = await p.exited;
    expect(exit.exitCode).to.equal(4);
    expect(alive(Number(log().trim()))).to.equal(false);
  });

  it('measures the CPU time of a busy process', async () => {
    const p = await start("const end = Date.now() + 400; while (Date.now() < end); console.log('busy done'); setInterval(() => {}, 1000)");
    await until('the busy loop is over', () => log().includes('busy done'));
    expect(p.cpuTimeMs()).to.be.at.least(100);
  });

  it('rejects when the program cannot be spawned', async () => {
    const attempt = ContainerProcess.start({ file: path.join(dir, 'missing'), args: [], env: {}, cwd: dir, logFile: path.join(dir, 'x.log') });
    await attempt.then(() => expect.fail('started'), (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'));
  });
});
