import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { podConditions, podPhase, qosClass, type ContainerState, type ContainerStatus } from '../../../../src/localcluster/runtime/pod-status.js';

const at = '2024-01-01T00:00:00Z';
const running: ContainerState = { running: { startedAt: at } };
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: at } });
const waiting = (reason: string): ContainerState => ({ waiting: { reason } });
const status = (name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name, image: 'node:20', imageID: '', ready: false, started: false, restartCount: 0, state, lastState: {}, ...extra,
});
const spec = (restartPolicy: string, containers = ['app'], initContainers: string[] = []) => ({
  restartPolicy, containers: containers.map((name) => ({ name })), initContainers: initContainers.map((name) => ({ name })),
});

describe('podPhase', () => {
  it('is Pending while a container waits to be created', () => {
    expect(podPhase(spec('Always'), [], [status('app', waiting('ContainerCreating'))], false)).to.equal('Pending');
  });

  it('is Pending while init containers run', () => {
    expect(podPhase(spec('Always', ['app'], ['init']), [status('init', running)], [status('app', waiting('PodInitializing'))], false)).to.equal('Pending');
  });

  it('is Running once every container started and one runs', () => {
    expect(podPhase(spec('Always', ['a', 'b']), [], [status('a', running), status('b', exited(0))], false)).to.equal('Running');
  });

  it('stays Running for Always and OnFailure while a crashed container backs off', () => {
    const crashed = status('app', waiting('CrashLoopBackOff'), { lastState: exited(1) });
    expect(podPhase(spec('Always'), [], [crashed], false)).to.equal('Running');
    expect(podPhase(spec('OnFailure'), [], [status('app', exited(1))], false)).to.equal('Running');
  });

  it('is Succeeded when every container exited 0 under OnFailure or Never', () => {
    expect(podPhase(spec('OnFailure'), [], [status('app', exited(0))], false)).to.equal('Succeeded');
    expect(podPhase(spec('Never'), [], [status('app', exited(0))], false)).to.equal('Succeeded');
  });

  it('is Failed when a container failed under Never, or an init container did', () => {
    expect(podPhase(spec('Never', ['a', 'b']), [], [status('a', exited(0)), status('b', exited(2))], false)).to.equal('Failed');
    expect(podPhase(spec('Never', ['app'], ['init']), [status('init', exited(1))], [status('app', waiting('PodInitializing'))], false)).to.equal('Failed');
  });

  it('decides by exit codes alone once the pod is being torn down', () => {
    expect(podPhase(spec('Always'), [], [status('app', exited(0))], true)).to.equal('Succeeded');
    expect(podPhase(spec('Always'), [], [status('app', exited(143))], true)).to.equal('Failed');
  });
});

describe('qosClass', () => {
  const pod = (...resources: any[]) => ({ containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) });

  it('is BestEffort without requests or limits', () => {
    expect(qosClass(pod({}, undefined))).to.equal('BestEffort');
  });

  it('is Guaranteed when every container limits cpu and memory and requests equal limits', () => {
    expect(qosClass(pod({ limits: { cpu: '500m', memory: '128Mi' } }, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }))).to.equal('Guaranteed');
  });

  it('is Burstable otherwise', () => {
    expect(qosClass(pod({ requests: { cpu: '100m' } }))).to.equal('Burstable');
    expect(qosClass(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } }))).to.equal('Burstable');
    expect(qosClass(pod({ limits: { cpu: '1', memory: '1Gi' } }, {}))).to.equal('Burstable');
  });
});

describe('podConditions', () => {
  const pod = (extra: any = {}): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b' }], ...extra.spec }, status: extra.status });
  const byType = (list: any[]) => Object.fromEntries(list.map((c) => [c.type, c]));

  it('names the unready containers in Ready and ContainersReady', () => {
    const c = byType(podConditions(pod(), 'Running', [], [status('a', running, { ready: true }), status('b', running)], true, false));
    expect(c.Ready).to.deep.equal({ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    expect(c.ContainersReady).to.deep.include({ status: 'False', reason: 'ContainersNotReady' });
    expect(c.Initialized).to.deep.equal({ type: 'Initialized', status: 'True' });
    expect(c.PodReadyToStartContainers.status).to.equal('True');
  });

  it('holds Ready for a readiness gate whose condition is not True', () => {
    const gated = pod({ spec: { readinessGates: [{ conditionType: 'example.com/lb' }] }, status: { conditions: [{ type: 'example.com/lb', status: 'False' }] } });
    const c = byType(podConditions(gated, 'Running', [], [status('a', running, { ready: true }), status('b', running, { ready: true })], true, false));
    expect(c.ContainersReady.status).to.equal('True');
    expect(c.Ready).to.deep.include({ status: 'False', reason: 'ReadinessGatesNotReady' });
  });

  it('reports a succeeded pod as PodCompleted', () => {
    const c = byType(podConditions(pod(), 'Succeeded', [], [status('a', exited(0)), status('b', exited(0))], true, false));
    expect(c.Ready).to.deep.include({ status: 'False', reason: 'PodCompleted' });
    expect(c.Initialized).to.deep.include({ status: 'True', reason: 'PodCompleted' });
    expect(c.PodReadyToStartContainers.status).to.equal('False');
  });
});
