import { expect } from 'chai';
import { silentLogger } from '../../../../src/core/index.js';
import { LocalCluster } from '../../../../src/localcluster/index.js';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { defaultTolerationSeconds } from '../../../../src/localcluster/node/default-toleration-seconds.js';
import { NodeAgent } from '../../../../src/localcluster/node/node-agent.js';
import { Store } from '../../../../src/localcluster/store/store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('NodeAgent.setHeartbeat', () => {
  let store: Store;
  let agent: NodeAgent;
  let beats: number;
  let stopWatch: () => void;

  beforeEach(() => {
    // each beat reads the time once: a second apart, each beat's lastHeartbeatTime differs (the store drops writes that change nothing)
    let t = Date.parse('2026-01-01T00:00:00Z');
    store = new Store({ now: () => (t += 1000) });
    agent = new NodeAgent({ store, stateDir: '/nonexistent', log: silentLogger, heartbeatMs: 10_000, node: { name: 'node-1', ip: '127.1.0.1', podCIDR: '127.10.1.0/24', zone: 'zone-a' } });
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

  it('posts the node status at once when its period changes, not a period later', async () => {
    agent.setHeartbeat(5000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(beats).to.equal(1);
  });

  it('then beats at the new period', async () => {
    agent.setHeartbeat(40);
    await sleep(400);
    expect(agent.heartbeatPeriodMs).to.equal(40);
    expect(beats, 'beats in 400 ms at a 40 ms period').to.be.at.least(5);
  });

  it('beats once at the change to a longer period and then keeps quiet until it is due', async () => {
    agent.setHeartbeat(40);
    await sleep(200);
    agent.setHeartbeat(10_000);
    await sleep(20);
    const after = beats;
    await sleep(300);
    expect(beats).to.equal(after);
  });

  it('keeps a powered-off node silent and uses the new period once it is back', async () => {
    await agent.powerOff();
    await sleep(20);
    const off = beats;
    agent.setHeartbeat(40);
    await sleep(200);
    expect(beats, 'a node without power does not beat').to.equal(off);
    agent.powerOn();
    await sleep(300);
    expect(beats - off).to.be.at.least(4);
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
