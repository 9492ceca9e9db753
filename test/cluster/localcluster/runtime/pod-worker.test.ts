import { expect } from 'chai';
import { settle } from '../../../helpers/manual-clock.js';
import { until } from '../../../helpers/until.js';
import { alive, condition, defaultServer, pod, podHarness } from './pod-harness.js';

const node = (script: string) => ({ command: ['node', '-e', script] });
const fastProbe = { periodSeconds: 0.1, timeoutSeconds: 0.5 };

describe('PodWorker', () => {
  const pods = podHarness();
  afterEach(() => pods.cleanup());

  it('reports Running but not Ready until the readiness probe passes', async () => {
    const slowServer = `setTimeout(() => { ${defaultServer} }, 400);`;
    const p = await pods.start(pod('web', {
      containers: [{ name: 'app', image: 'node:20', ...node(slowServer), readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, ...fastProbe } }],
    }), '127.77.0.1');
    const running = await p.waitFor('Running', (s) => s.phase === 'Running');
    expect(condition(running, 'Ready')).to.equal('False');
    expect(running.containerStatuses[0]).to.include({ ready: false, started: true });
    await p.waitFor('Ready', (s) => condition(s, 'Ready') === 'True');
    const readyAt = p.reportedAtMs[p.statuses.findIndex((s) => condition(s, 'Ready') === 'True')]!;
    expect(readyAt).to.be.at.least(400);
    expect(p.container().ready).to.equal(true);
    expect(p.last.podIP).to.equal('127.77.0.1');
  });

  it('keeps a container whose readiness probe fails not ready and emits Unhealthy', async () => {
    const p = await pods.start(pod('web', {
      containers: [{ name: 'app', image: 'node:20', ...node(defaultServer), readinessProbe: { httpGet: { path: '/fail', port: 8080 }, ...fastProbe } }],
    }), '127.77.0.2');
    await p.waitFor('Running', (s) => s.phase === 'Running');
    await until('three failed readiness probes', () => p.events.filter((e) => e.reason === 'Unhealthy').length >= 3);
    await settle();
    expect(condition(p.last, 'Ready')).to.equal('False');
    expect(condition(p.last, 'ContainersReady')).to.equal('False');
    expect(p.statuses.some((s) => condition(s, 'Ready') === 'True')).to.equal(false);
    expect(p.events).to.deep.include({
      type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', fieldPath: 'spec.containers{app}',
    });
  });

  it('restarts a crashing container with a growing back-off, reporting CrashLoopBackOff', async () => {
    const p = await pods.start(pod('crasher', { containers: [{ name: 'app', image: 'node:20', ...node('process.exit(3)') }] }), '127.77.0.3');
    await p.waitFor('three restarts', (s) => s.containerStatuses[0].restartCount >= 3, 8000);
    // the back-offs before the third restart: on a busy machine the next crash (back-off 800ms, restartCount 3) may
    // already be reported when this line runs, and the short Running state before it merged into it
    const waits = p.statuses.filter((s) => s.containerStatuses[0].restartCount < 3).map((s) => s.containerStatuses[0].state.waiting).filter((w) => w?.reason === 'CrashLoopBackOff');
    const messages = [...new Set(waits.map((w) => w.message))];
    expect(messages).to.deep.equal([
      'back-off 200ms restarting failed container=app pod=crasher_shop(00000000-0000-4000-8000-000000000007)',
      'back-off 400ms restarting failed container=app pod=crasher_shop(00000000-0000-4000-8000-000000000007)',
    ]);
    const crashLoop = p.statuses.find((s) => s.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff');
    expect(crashLoop.containerStatuses[0].lastState.terminated).to.include({ exitCode: 3, reason: 'Error' });
    expect(crashLoop.phase).to.equal('Running');
    expect(p.events.filter((e) => e.reason === 'BackOff')[0]?.message).to.equal('Back-off restarting failed container app in pod crasher_shop(00000000-0000-4000-8000-000000000007)');
    expect(p.events.filter((e) => e.reason === 'Started')).to.have.length.of.at.least(4);
  });

  it('reports each status change once, within 50 ms of the event behind it', async () => {
    const p = await pods.start(pod('crasher', { containers: [{ name: 'app', image: 'node:20', ...node('setTimeout(() => process.exit(1), 100)') }] }), '127.77.0.12');
    await p.waitFor('two restarts', (s) => s.containerStatuses[0].restartCount >= 2, 8000);
    const reports = p.statuses.map((s) => JSON.stringify(s));
    expect(reports.filter((r, i) => r === reports[i - 1])).to.deep.equal([]);
    const backOffAt = p.eventAtMs[p.events.findIndex((e) => e.reason === 'BackOff')]!;
    const reportedAt = p.reportedAtMs[p.statuses.findIndex((s) => s.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff')]!;
    expect(reportedAt - backOffAt).to.be.within(0, 50);
  });

  it('kills and restarts a container whose liveness probe fails', async () => {
    const p = await pods.start(pod('sick', {
      containers: [{ name: 'app', image: 'node:20', ...node('setInterval(() => {}, 1000)'), livenessProbe: { tcpSocket: { port: 8080 }, ...fastProbe, failureThreshold: 2 } }],
    }), '127.77.0.4');
    const restarted = await p.waitFor('a restart', (s) => s.containerStatuses[0].restartCount === 1);
    expect(restarted.containerStatuses[0].lastState.terminated).to.include({ exitCode: 143, signal: 15, reason: 'Error' });
    expect(p.events.map((e) => e.message)).to.include.members([
      'Liveness probe failed: dial tcp 127.77.0.4:8080: connect: connection refused',
      'Container app failed liveness probe, will be restarted',
    ]);
  });

  it('stops a pod with SIGTERM and waits for its graceful exit', async () => {
    const p = await pods.start(pod('web', { containers: [{ name: 'app', image: 'node:20', ...node(defaultServer) }] }), '127.77.0.5');
    await p.waitFor('Running', (s) => s.phase === 'Running' && p.log().includes('listening'));
    const [pid] = p.worker.pids();
    const t0 = Date.now();
    await p.worker.stop();
    expect(Date.now() - t0, 'well within the 5 s grace').to.be.below(4000);
    expect(alive(pid!)).to.equal(false);
    expect(p.log()).to.include('got SIGTERM');
    expect(p.container().state.terminated).to.include({ exitCode: 0, reason: 'Completed' });
    expect(p.last.phase).to.equal('Succeeded');
    expect(p.events).to.deep.include({ type: 'Normal', reason: 'Killing', message: 'Stopping container app', fieldPath: 'spec.containers{app}' });
  });

  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('up');";
    const p = await pods.start(pod('stubborn', { containers: [{ name: 'app', image: 'node:20', ...node(stubborn) }] }), '127.77.0.6');
    await p.waitFor('Running', (s) => s.phase === 'Running' && p.log().includes('up'));
    const t0 = Date.now();
    await p.worker.stop(0.5);
    expect(Date.now() - t0).to.be.within(450, 3000);
    expect(p.log()).to.include('ignoring SIGTERM');
    expect(p.container().state.terminated).to.include({ exitCode: 137, signal: 9, reason: 'Error' });
    expect(p.last.phase).to.equal('Failed');
  });

  it('leaves no process alive after kill(), children of a shell included', async () => {
    const p = await pods.start(pod('shell', {
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 30 & echo "child $!"; wait'] }],
    }), '127.77.0.7');
    await p.waitFor('Running', (s) => s.phase === 'Running' && p.log().includes('child'));
    const child = Number(/child (\d+)/.exec(p.log())![1]);
    const pids = [...p.worker.pids(), child];
    const reports = p.statuses.length;
    p.worker.kill();
    await p.worker.gone();
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(() => process.kill(pids[0]!, 0)).to.throw();
    // a report would need the coalescing timer, which kill() clears and a dead worker never sets again
    await settle();
    expect(p.statuses).to.have.length(reports);
  });

  it('appends stdout and stderr to the log file of each run', async () => {
    const p = await pods.start(pod('job', {
      restartPolicy: 'OnFailure',
      containers: [{ name: 'app', image: 'node:20', ...node("console.log('to stdout'); console.error('to stderr'); process.exit(Number(require('fs').existsSync('ran')) ? 0 : (require('fs').writeFileSync('ran', ''), 1))") }],
    }), '127.77.0.8');
    await p.waitFor('Succeeded', (s) => s.phase === 'Succeeded');
    expect(p.log('app', 0)).to.equal('to stdout\nto stderr\n');
    expect(p.log('app', 1)).to.equal('to stdout\nto stderr\n');
    expect(p.container()).to.deep.include({ restartCount: 1, ready: false });
    expect(p.container().state.terminated).to.include({ exitCode: 0, reason: 'Completed' });
    expect(condition(p.last, 'Ready')).to.equal('False');
  });

  it('gives containers the pod identity, downward-API fields and $(VAR) expansion, and nothing else of the host', async () => {
    process.env.CRT_TEST_HOST_ONLY = 'leak';
    const p = await pods.start(pod('envy', {
      restartPolicy: 'Never',
      serviceAccountName: 'robot',
      containers: [{
        name: 'app', image: 'node:20',
        command: ['node', '-e', 'console.log(JSON.stringify({ env: process.env, argv: process.argv.slice(1), cwd: process.cwd() }))', '$(TIER)'],
        args: ['$(URL)', '$$(URL)'],
        env: [
          { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'URL', value: 'http://$(POD_IP):8080/$(MISSING)' },
          { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
        ],
      }],
    }), '127.77.0.9', { serviceEnv: { WEB_SERVICE_HOST: '10.96.0.5' }, lookup: (kind, ns, name) => (kind === 'ConfigMap' && ns === 'shop' && name === 'settings' ? { mode: 'fast' } : undefined) });
    delete process.env.CRT_TEST_HOST_ONLY;
    await p.waitFor('Succeeded', (s) => s.phase === 'Succeeded');
    const { env, argv, cwd } = JSON.parse(p.log());
    expect(env).to.include({
      POD_NAME: 'envy', POD_NAMESPACE: 'shop', POD_IP: '127.77.0.9', NODE_NAME: 'node-1', HOST: '127.77.0.9',
      TIER: 'backend', SA: 'robot', URL: 'http://127.77.0.9:8080/$(MISSING)', FROM_CM: 'fast', WEB_SERVICE_HOST: '10.96.0.5',
    });
    expect(env).to.not.have.property('CRT_TEST_HOST_ONLY');
    expect(argv).to.deep.equal(['backend', 'http://127.77.0.9:8080/$(MISSING)', '$(URL)']);
    expect(cwd).to.equal(p.dir);
  });

  it('reports ErrImagePull then ImagePullBackOff for an image it cannot run, and keeps retrying', async () => {
    const p = await pods.start(pod('nginx', { containers: [{ name: 'web', image: 'nginx:1.25' }] }), '127.77.0.10');
    await p.waitFor('ImagePullBackOff', (s) => s.containerStatuses[0].state.waiting?.reason === 'ImagePullBackOff');
    const pull = p.statuses.find((s) => s.containerStatuses[0].state.waiting?.reason === 'ErrImagePull');
    expect(pull.containerStatuses[0].state.waiting.message).to.match(/^Failed to pull image "nginx:1.25": the embedded cluster runs local processes, not container images/);
    expect(pull.phase).to.equal('Pending');
    await until('a second pull attempt', () => p.events.filter((e) => e.message === 'Error: ErrImagePull').length >= 2);
    expect(p.events.map((e) => e.reason)).to.include.members(['Pulling', 'Failed', 'BackOff']);
    expect(p.last.phase).to.equal('Pending');
  });

  it('reports a missing executable as RunContainerError with the runtime\'s message', async () => {
    const p = await pods.start(pod('typo', { containers: [{ name: 'app', image: 'node:20', command: ['no-such-program-crt', '--serve'] }] }), '127.77.0.11');
    const waiting = await p.waitFor('RunContainerError', (s) => s.containerStatuses[0].state.waiting?.reason === 'RunContainerError');
    expect(waiting.containerStatuses[0].state.waiting.message).to.equal('exec: "no-such-program-crt": executable file not found in $PATH');
    expect(waiting.phase).to.equal('Pending');
    expect(p.events).to.deep.include({ type: 'Warning', reason: 'Failed', message: 'Error: exec: "no-such-program-crt": executable file not found in $PATH', fieldPath: 'spec.containers{app}' });
  });
});
