import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../helpers/tmp.js';
import { condition, defaultServer, pod, podHarness } from './pod-harness.js';

const sh = (script: string) => ({ image: 'busybox', command: ['sh', '-c', script] });
const fastProbe = { periodSeconds: 0.1, timeoutSeconds: 0.5 };

describe('PodWorker lifecycle', () => {
  const pods = podHarness();
  afterEach(() => pods.cleanup());

  it('runs init containers one after the other, to completion, before the containers', async () => {
    const p = await pods.start(pod('inits', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'first', ...sh('sleep 0.2; echo first >> order') }, { name: 'second', ...sh('echo second >> order') }],
      containers: [{ name: 'app', ...sh('cat order') }],
    }), '127.77.0.30');
    const done = await p.waitFor('Succeeded', (s) => s.phase === 'Succeeded');
    expect(p.log()).to.equal('first\nsecond\n');
    const initializing = p.statuses[0];
    expect(initializing.phase).to.equal('Pending');
    expect(initializing.conditions.find((c: any) => c.type === 'Initialized')).to.include({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [first second]' });
    expect(initializing.containerStatuses[0].state).to.deep.equal({ waiting: { reason: 'PodInitializing' } });
    expect(done.initContainerStatuses.map((s: any) => [s.name, s.ready, s.state.terminated.reason])).to.deep.equal([['first', true, 'Completed'], ['second', true, 'Completed']]);
    expect(condition(done, 'Initialized')).to.equal('True');
  });

  it('fails a Never pod whose init container fails, without starting its containers', async () => {
    const p = await pods.start(pod('badinit', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'migrate', ...sh('exit 2') }],
      containers: [{ name: 'app', ...sh('echo should not run') }],
    }), '127.77.0.31');
    const failed = await p.waitFor('Failed', (s) => s.phase === 'Failed');
    expect(failed.initContainerStatuses[0].state.terminated).to.include({ exitCode: 2, reason: 'Error' });
    expect(failed.containerStatuses[0].state).to.deep.equal({ waiting: { reason: 'PodInitializing' } });
  });

  it('starts the containers once a sidecar has started, and keeps the sidecar running', async () => {
    const p = await pods.start(pod('sidecar', {
      initContainers: [{ name: 'proxy', image: 'node:20', restartPolicy: 'Always', command: ['node', '-e', defaultServer] }],
      containers: [{ name: 'app', ...sh('sleep 30') }],
    }), '127.77.0.32');
    const ready = await p.waitFor('Ready', (s) => condition(s, 'Ready') === 'True');
    expect(ready.phase).to.equal('Running');
    expect(ready.initContainerStatuses[0]).to.deep.include({ ready: true, started: true });
    expect(ready.initContainerStatuses[0].state).to.have.property('running');
    expect(p.worker.pids()).to.have.length(2);
  });

  it('holds liveness and readiness probes until the startup probe passes', async () => {
    const startsLate = "setTimeout(() => require('fs').writeFileSync('started', ''), 400); setInterval(() => {}, 1000)";
    const p = await pods.start(pod('slowstart', {
      containers: [{
        name: 'app', image: 'node:20', command: ['node', '-e', startsLate],
        startupProbe: { exec: { command: ['test', '-f', 'started'] }, ...fastProbe, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['test', '-f', 'started'] }, ...fastProbe, failureThreshold: 1 },
        readinessProbe: { exec: { command: ['test', '-f', 'started'] }, ...fastProbe },
      }],
    }), '127.77.0.33');
    const running = await p.waitFor('Running', (s) => s.phase === 'Running');
    expect(running.containerStatuses[0]).to.include({ started: false, ready: false });
    const ready = await p.waitFor('Ready', (s) => condition(s, 'Ready') === 'True');
    expect(ready.containerStatuses[0]).to.include({ started: true, ready: true, restartCount: 0 });
    expect(p.events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message.split(':')[0])).to.satisfy((m: string[]) => m.length > 0 && m.every((x) => x === 'Startup probe failed'));
  });

  it('runs the preStop hook before sending SIGTERM', async () => {
    const server = `${defaultServer}; process.on('SIGTERM', () => require('fs').appendFileSync('order', 'SIGTERM\\n'));`;
    const p = await pods.start(pod('hooked', {
      containers: [{ name: 'app', image: 'node:20', command: ['node', '-e', server], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo preStop >> order'] } } } }],
    }), '127.77.0.34');
    await p.waitFor('listening', (s) => s.phase === 'Running' && p.log().includes('listening'));
    await p.worker.stop(5);
    expect(readFileSync(path.join(p.dir, 'order'), 'utf8')).to.equal('preStop\nSIGTERM\n');
  });

  it('kills and restarts a container whose postStart hook fails, withholding the hook output from the event', async () => {
    const p = await pods.start(pod('poststart', {
      containers: [{ name: 'app', image: 'node:20', command: ['node', '-e', 'setInterval(() => {}, 1000)'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo secret; exit 1'] } } } }],
    }), '127.77.0.37');
    await p.waitFor('a restart', (s) => s.containerStatuses[0].restartCount >= 1);
    expect(p.events).to.deep.include({ type: 'Warning', reason: 'FailedPostStartHook', message: 'PostStartHook failed', fieldPath: 'spec.containers{app}' });
    expect(p.events.some((e) => e.message.includes('secret'))).to.equal(false);
  });

  it('holds Ready until the pod\'s readiness gate condition is True', async () => {
    const gated = pod('gated', { readinessGates: [{ conditionType: 'example.com/lb' }], containers: [{ name: 'app', ...sh('sleep 30') }] });
    const p = await pods.start(gated, '127.77.0.38');
    const held = await p.waitFor('ContainersReady', (s) => condition(s, 'ContainersReady') === 'True');
    expect(held.conditions.find((c: any) => c.type === 'Ready')).to.include({ status: 'False', reason: 'ReadinessGatesNotReady' });
    p.worker.update({ ...gated, status: { conditions: [{ type: 'example.com/lb', status: 'True' }] } });
    const ready = await p.waitFor('Ready', (s) => condition(s, 'Ready') === 'True');
    expect(condition(ready, 'example.com/lb')).to.equal('True');
  });

  it('waits with CreateContainerConfigError for a ConfigMap that does not exist', async () => {
    const p = await pods.start(pod('config', {
      containers: [{ name: 'app', ...sh('true'), env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }] }],
    }), '127.77.0.35');
    const waiting = await p.waitFor('CreateContainerConfigError', (s) => s.containerStatuses[0].state.waiting?.reason === 'CreateContainerConfigError');
    expect(waiting.containerStatuses[0].state.waiting.message).to.equal('configmap "settings" not found');
  });

  it('runs a crt.io/demo image as the demo program with DEMO_VERSION set to its tag', async () => {
    const tmp = await tempDir();
    const entry = path.join(tmp.dir, 'main.js');
    writeFileSync(entry, 'console.log(process.env.DEMO_VERSION, process.argv.slice(2).join(" "))');
    try {
      const p = await pods.start(pod('demo', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'crt.io/demo:v2', args: ['gateway'] }] }), '127.77.0.36', { demoEntry: entry });
      await p.waitFor('Succeeded', (s) => s.phase === 'Succeeded');
      expect(p.log()).to.equal('v2 gateway\n');
    } finally {
      await tmp.remove();
    }
  });
});
