import { expect } from 'chai';
import { silentLogger } from '../../../../src/core/index.js';
import { LocalCluster } from '../../../../src/localcluster/index.js';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { defaultTolerationSeconds } from '../../../../src/localcluster/node/default-toleration-seconds.js';
import { NodeAgent } from '../../../../src/localcluster/node/node-agent.js';
import { Store } from '../../../../src/localcluster/store/store.js';
import { ManualClock, settle } from '../../../helpers/manual-clock.js';

describe('NodeAgent.setHeartbeat', () => {
  let clock: ManualClock;
  let store: Store;
  let agent: NodeAgent;
  let beats: number;
  let stopWatch: () => void;

  beforeEach(() => {
    clock = new ManualClock();
    // each beat reads the time once: a second apart, each beat's lastHeartbeatTime differs (the store drops writes that change nothing)
    let t = Date.parse('2026-01-01T00:00:00Z');
    store = new Store({ now: () => (t += 1000) });
    agent = new NodeAgent({ store, stateDir: '/nonexistent', log: silentLogger, heartbeatMs: 10_000, timers: clock, node: { name: 'node-1', ip: '127.1.0.1', podCIDR: '127.10.1.0/24', zone: 'zone-a' } });
    agent.start();
    beats = 0;
    stopWatch = store.watch('nodes', undefined, {}, (e) => {
      if (e.type === 'MODIFIED') beats++;
    });
  });

  afterEach(async () => {
    stopWatch();
    await agent.stop();
  });

  it('beats every period', async () => {
    await clock.advance(9_999);
    expect(beats, 'before the first period').to.equal(0);
    await clock.advance(1);
    expect(beats).to.equal(1);
    await clock.advance(30_000);
    expect(beats).to.equal(4);
  });

  it('posts the node status at once when its period changes, not a period later', async () => {
    await clock.advance(1);
    agent.setHeartbeat(5000);
    await settle();
    expect(beats).to.equal(1);
  });

  it('then beats at the new period', async () => {
    agent.setHeartbeat(40);
    await clock.advance(400);
    expect(agent.heartbeatPeriodMs).to.equal(40);
    expect(beats, 'the beat at the change, then one every 40 ms for 400 ms').to.equal(11);
  });

  it('beats once at the change to a longer period and then keeps quiet until it is due', async () => {
    agent.setHeartbeat(40);
    await clock.advance(200);
    agent.setHeartbeat(10_000);
    await clock.advance(1);
    const after = beats;
    await clock.advance(9_998);
    expect(beats).to.equal(after);
    await clock.advance(1);
    expect(beats).to.equal(after + 1);
  });

  it('keeps a powered-off node silent and uses the new period once it is back', async () => {
    await agent.powerOff();
    await clock.advance(20);
    const off = beats;
    agent.setHeartbeat(40);
    await clock.advance(200);
    expect(beats, 'a node without power does not beat').to.equal(off);
    agent.powerOn();
    await clock.advance(1);
    const on = beats;
    await clock.advance(160);
    expect(beats - on, 'four periods of 40 ms').to.equal(4);
  });
});

describe('DefaultTolerationSeconds admission with a changing value', () => {
  it('stamps each pod with the value in effect when it is created, and leaves pods created before alone', () => {
    let seconds = 300;
    const admission = defaultTolerationSeconds(() => seconds);
    const pod = (): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } });
    const before = pod();
    admission.create!(before, {});
    seconds = 2;
    const after = pod();
    admission.create!(after, {});
    expect(before.spec.tolerations.map((t: any) => t.tolerationSeconds)).to.deep.equal([300, 300]);
    expect(after.spec.tolerations.map((t: any) => t.tolerationSeconds)).to.deep.equal([2, 2]);
  });
});

describe('LocalCluster.setNodeTimings before start', () => {
  it('refuses: there are no kubelets or controller to change yet', () => {
    const cluster = new LocalCluster({ stateDir: '/nonexistent', heartbeatMs: 1000 });
    expect(cluster.nodeTimings).to.deep.equal({ heartbeatMs: 1000, nodeMonitorPeriodMs: 5000, nodeMonitorGracePeriodMs: 50_000, defaultTolerationSeconds: 300 });
    expect(() => cluster.setNodeTimings({ heartbeatMs: 500 })).to.throw('setNodeTimings: the cluster is not started');
  });
});
