import { type V1Deployment } from '@kubernetes/client-node';
import { action } from '../../helpers/action.js';
import { expect } from 'chai';
import type { Clock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/index.js';
import { ChangedSinceFault, FaultError, builtinFaults, type FaultContext, type RevertRecord } from '../../../src/faults/index.js';
import { OutageMeter } from '../../../src/faults/rollout-strategy.js';
import type { KubeClients } from '../../../src/kube/index.js';

/** A clock whose sleeps pass at once, moving its time on: the polls of a fault read one state per step. */
function steppingClock(): Clock {
  let t = 0;
  return { now: () => t, wallNow: () => 1_700_000_000_000 + t, sleep: async (ms) => void (t += ms), after: () => { throw new Error('the faults under test schedule nothing'); } };
}

function context(kube: KubeClients): FaultContext {
  return { runId: 'r1', caseId: 'C', step: 's', clock: steppingClock(), log: silentLogger, signal: new AbortController().signal, planDir: '.', kube, hostEnv: {} };
}


const BLUE = { app: 'gateway' };
const GREEN = { app: 'gateway', track: 'green' };
const slice = (...pods: Array<[string, boolean]>) => ({ endpoints: pods.map(([name, ready]) => ({ addresses: ['127.0.0.1'], conditions: { ready }, targetRef: { kind: 'Pod', name } })) });

/** A Service and its EndpointSlices: each read of the slices gives the next state of `states` (the last one stays). */
function serviceKube(selector: Record<string, string> | null, states: Array<ReturnType<typeof slice>>) {
  const patches: unknown[] = [];
  let current = selector;
  let read = 0;
  const pods: Record<string, string[]> = { 'app=gateway,track=green': ['gw-green-1', 'gw-green-2'], 'app=gateway': ['gw-blue-1', 'gw-blue-2', 'gw-green-1', 'gw-green-2'], 'app=gateway,track=none': [] };
  const core = {
    readNamespacedService: async () => ({ spec: { ...(current ? { selector: current } : {}) } }),
    patchNamespacedService: async (req: { body: Array<{ value?: Record<string, string> }> }) => {
      patches.push(req.body);
      current = req.body[0]!.value ?? null;
    },
    listNamespacedPod: async (req: { labelSelector: string }) => ({ items: (pods[req.labelSelector] ?? []).map((name) => ({ metadata: { name } })) }),
  };
  const discovery = { listNamespacedEndpointSlice: async () => ({ items: [states[Math.min(read++, states.length - 1)]] }) };
  const kube = { kc: { makeApiClient: () => discovery }, core, apps: {}, batch: {}, server: 'http://fake:6443' } as unknown as KubeClients;
  return { kube, patches, selector: () => current };
}

async function rejection<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(type);
  return err as T;
}

describe('switch (blue/green)', () => {
  it('replaces the Service\'s whole selector and measures the gap until only green pods are ready endpoints', async () => {
    const { kube, patches } = serviceKube(BLUE, [slice(['gw-blue-1', true], ['gw-blue-2', true]), slice(['gw-blue-1', false]), slice(['gw-green-1', true], ['gw-green-2', false])]);
    const plan = await builtinFaults.switch.create(action('switch', { namespace: 'demo', service: 'gateway', selector: GREEN })).plan(context(kube));
    expect(plan.summary).to.equal('switch service demo/gateway from app=gateway to app=gateway,track=green');
    expect(plan.revert).to.deep.equal({ fault: 'switch', namespace: 'demo', service: 'gateway', previous: BLUE, timeoutMs: 60_000, set: { selector: GREEN } });
    expect(patches).to.deep.equal([]);
    const out = await plan.apply();
    expect(patches).to.deep.equal([[{ op: 'add', path: '/spec/selector', value: GREEN }]]);
    expect(out.data).to.deep.include({ switchGapMs: 200, noEndpointMs: 100 });
    expect(out.detail).to.equal('endpoints switched in 0.2 s, 0.1 s of it with no ready endpoint');
  });

  it('refuses to switch to a selector no pod matches, changing nothing', async () => {
    const { kube, patches } = serviceKube(BLUE, [slice()]);
    const err = await rejection(builtinFaults.switch.create(action('switch', { namespace: 'demo', service: 'gateway', selector: { app: 'gateway', track: 'none' } })).plan(context(kube)), FaultError);
    expect(err.message).to.equal('switch: no pod of app=gateway,track=none in demo: service gateway would have no endpoint');
    expect(patches).to.deep.equal([]);
  });

  it('fails, saying what is ready, when the endpoints do not follow within the timeout', async () => {
    const { kube } = serviceKube(BLUE, [slice(['gw-blue-1', true])]);
    const plan = await builtinFaults.switch.create(action('switch', { namespace: 'demo', service: 'gateway', selector: GREEN, timeout: '1s' })).plan(context(kube));
    const err = await rejection(plan.apply(), FaultError);
    expect(err.message).to.equal('switch of service demo/gateway: its endpoints did not follow app=gateway,track=green within 1 s (ready: gw-blue-1)');
  });

  const record = (): RevertRecord => JSON.parse(JSON.stringify({ fault: 'switch', namespace: 'demo', service: 'gateway', previous: BLUE, timeoutMs: 60_000, set: { selector: GREEN } })) as RevertRecord;

  it('switches back when the Service still has the selector crt set, measured the same way', async () => {
    const { kube, patches, selector } = serviceKube(GREEN, [slice(['gw-green-1', true], ['gw-blue-1', true])]);
    expect(await builtinFaults.switch.revert(record(), context(kube))).to.equal('service demo/gateway switched back to app=gateway: endpoints switched in 0.0 s, never without a ready endpoint');
    expect(patches).to.deep.equal([[{ op: 'add', path: '/spec/selector', value: BLUE }]]);
    expect(selector()).to.deep.equal(BLUE);
  });

  it('leaves a selector someone changed since alone, and overwrites it with force', async () => {
    const theirs = { app: 'gateway', track: 'hotfix' };
    const { kube, patches } = serviceKube(theirs, [slice(['gw-blue-1', true])]);
    const err = await rejection(builtinFaults.switch.revert(record(), context(kube)), ChangedSinceFault);
    expect(err.message).to.equal('service/demo/gateway changed since the fault: crt set selector app=gateway,track=green, now selector app=gateway,track=hotfix; left as it is');
    expect(patches).to.deep.equal([]);
    await builtinFaults.switch.revert(record(), context(kube), { force: true });
    expect(patches).to.deep.equal([[{ op: 'add', path: '/spec/selector', value: BLUE }]]);
  });

  it('does nothing when the selector is already the one from before', async () => {
    const { kube, patches } = serviceKube(BLUE, [slice()]);
    expect(await builtinFaults.switch.revert(record(), context(kube))).to.equal('service demo/gateway already has its selector from before the switch (app=gateway): nothing to undo');
    expect(patches).to.deep.equal([]);
  });
});

describe('rollout with strategy: recreate', () => {
  const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const template = { metadata: { labels: { app: 'gateway' } }, spec: { containers: [{ name: 'gateway', image: 'demo:1.0' }] } };
  /** A deployment of 3 whose status, read after read, goes through `statuses`. */
  function deploymentKube(statuses: Array<V1Deployment['status']>, strategy: object = rolling) {
    const patches: unknown[] = [];
    let reads = 0;
    let spec = { replicas: 3, strategy, template };
    const apps = {
      readNamespacedDeployment: async () => ({ metadata: { name: 'gateway', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '4' } }, spec, status: statuses[Math.min(reads++, statuses.length - 1)] }),
      patchNamespacedDeployment: async (req: { body: unknown }) => {
        patches.push(req.body);
        const ops = Array.isArray(req.body) ? (req.body as Array<{ path: string; value: unknown }>) : [];
        for (const op of ops) if (op.path === '/spec/strategy') spec = { ...spec, strategy: op.value as object };
        return { spec };
      },
    };
    return { kube: { kc: {}, core: {}, apps, batch: {}, server: 'http://fake:6443' } as unknown as KubeClients, patches };
  }
  const st = (ready: number, updated: number, replicas: number, available = ready) => ({ observedGeneration: 2, readyReplicas: ready, updatedReplicas: updated, replicas, availableReplicas: available });

  it('sets Recreate in the same patch as the change, records the strategy before, and measures how long no pod was ready', async () => {
    // plan read, then the rollout's reads: old pods ready, all gone (0 ready) twice, one new ready, all new ready
    const { kube, patches } = deploymentKube([st(3, 0, 3), st(3, 0, 3), st(0, 0, 0), st(0, 3, 3), st(1, 3, 3), st(3, 3, 3)]);
    const plan = await builtinFaults.rollout.create(action('rollout', { namespace: 'demo', deployment: 'gateway', action: 'image', image: 'demo:1.1', strategy: 'recreate' })).plan(context(kube));
    expect(plan.summary).to.equal('roll out deployment demo/gateway (revision 4): gateway image demo:1.0 → demo:1.1, strategy Recreate');
    expect(plan.revert).to.deep.include({ strategy: rolling, set: { strategy: 'Recreate' } });
    const out = await plan.apply();
    expect(patches).to.deep.equal([[
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'demo:1.1' },
      { op: 'add', path: '/spec/strategy', value: { type: 'Recreate' } },
    ]]);
    // polled every 250 ms: no ready pod from the third read of the rollout to the fifth
    expect(out.data).to.deep.include({ strategy: 'Recreate', outageMs: 500 });
    expect(out.detail).to.match(/, no ready pod for 0\.5 s \(recreate\)$/);
  });

  it('merges Recreate into a restart\'s merge patch, dropping rollingUpdate (the API refuses both)', async () => {
    const { kube, patches } = deploymentKube([st(3, 3, 3)]);
    const plan = await builtinFaults.rollout.create(action('rollout', { namespace: 'demo', deployment: 'gateway', strategy: 'recreate' })).plan(context(kube));
    await plan.apply();
    expect((patches[0] as { spec: { strategy: unknown } }).spec.strategy).to.deep.equal({ type: 'Recreate', rollingUpdate: null });
  });

  it('puts the strategy from before back with the template, unless someone changed the strategy since', async () => {
    const record = (): RevertRecord => ({ fault: 'rollout', namespace: 'demo', deployment: 'gateway', revision: '4', template, timeoutMs: 60_000, strategy: rolling, set: { strategy: 'Recreate' } });
    const ours = deploymentKube([st(3, 3, 3)], { type: 'Recreate' });
    await builtinFaults.rollout.revert(record(), context(ours.kube));
    expect(ours.patches).to.deep.equal([[{ op: 'replace', path: '/spec/template', value: template }, { op: 'add', path: '/spec/strategy', value: rolling }]]);
    const theirs = deploymentKube([st(3, 3, 3)], { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    await builtinFaults.rollout.revert(record(), context(theirs.kube));
    expect(theirs.patches).to.deep.equal([[{ op: 'replace', path: '/spec/template', value: template }]]);
  });

  it('measures no outage for a rollout that always kept a ready pod, and counts an outage still open up to now', () => {
    const d = (ready: number) => ({ status: { readyReplicas: ready } });
    const kept = new OutageMeter();
    for (const [i, r] of [3, 2, 3].entries()) kept.read(d(r), i * 250);
    expect(kept.totalMs(750)).to.equal(0);
    const open = new OutageMeter();
    open.read(d(0), 100);
    open.read(d(1), 400);
    open.read(d(0), 900);
    expect(open.totalMs(1000)).to.equal(400);
  });
});
