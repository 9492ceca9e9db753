import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PatchStrategy, setHeaderOptions, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { kubeClients, serviceUrl, type KubeClients } from '../../../src/kube/index.js';
import { builtinFaults, type FaultContext } from '../../../src/faults/index.js';
import { TAINT_EVICTION_KEY } from '../../../src/faults/node-loss-taint.js';
import type { NodeLossTimes } from '../../../src/faults/node-loss-watch.js';
import { demoManifestPath, type EmbeddedCluster } from '../../../src/localcluster/index.js';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { faultContext, inject, until } from './node-fault-helpers.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

const HEARTBEAT_MS = 500;
const MONITOR_PERIOD_MS = 500;
const GRACE_MS = 2_000;
const TOLERATION_SEC = 2;

const ready = (obj: V1Pod | V1Node | undefined): boolean => obj?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Bounded GETs through the gateway Service, 4 at a time, until stopped: counts answers and failures. */
function loadLoop(url: string): { stop: () => Promise<{ ok: number; failed: number; okAfterStopMark: number }>; mark: () => void; okAfterMark: () => number } {
  let running = true;
  let marked = false;
  const counts = { ok: 0, failed: 0, okAfterStopMark: 0 };
  const worker = async (): Promise<void> => {
    for (let i = 0; running && i < 20_000; i++) {
      try {
        const res = await fetch(`${url}/customers/1`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.ok) {
          counts.ok++;
          if (marked) counts.okAfterStopMark++;
        } else counts.failed++;
      } catch {
        counts.failed++;
      }
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return { mark: () => (marked = true), okAfterMark: () => counts.okAfterStopMark, stop: async () => ((running = false), await Promise.all(workers), counts) };
}

/**
 * The node-loss fault's three providers on a 3-node embedded cluster running the demo, with
 * second-scale node monitoring (heartbeat 500 ms, grace 2 s, tolerationSeconds 2). Each revert runs
 * from the JSON record, in a context built afresh. On both control planes, read through the API only; on
 * the real one the timings are kube-controller-manager's and kube-apiserver's flags, the same values.
 */
for (const cp of controlPlanes()) {
  describe(`node-loss fault on the embedded cluster (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 60_000));
    let cluster: EmbeddedCluster;
    let kube: KubeClients;
    let tmp: { dir: string };
    let kubeconfig: string;

    const demoPods = async (pred: (p: V1Pod) => boolean = () => true): Promise<V1Pod[]> => (await kube.core.listNamespacedPod({ namespace: 'demo' })).items.filter(pred);
    const node = (name: string): Promise<V1Node> => kube.core.readNode({ name });
    const taints = async (name: string): Promise<string[]> => ((await node(name)).spec?.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`);
    const demoAvailable = (): Promise<unknown> => cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 30_000 });
    const freshCtx = (): FaultContext => faultContext(kubeconfig, tmp.dir, 'revert');

    let test: TestCluster<EmbeddedCluster>;
    before(async function () {
      await requireControlPlane(this, cp);
      test = await startTestCluster({ controlPlane: cp, nodes: 3, heartbeatMs: HEARTBEAT_MS, nodeMonitorPeriodMs: MONITOR_PERIOD_MS, nodeMonitorGracePeriodMs: GRACE_MS, defaultTolerationSeconds: TOLERATION_SEC, manifests: [demoManifestPath], timeoutMs: timeoutOn(cp, 40_000) });
      ({ cluster, kubeconfig, tmp } = test);
      kube = kubeClients({ kubeconfig });
    });

    after(() => test?.stop());

    it('taint-eviction provider: evicts the node\'s pods with crt\'s NoExecute taint, reported as an eviction by taint, and the revert removes exactly that taint', async () => {
      // a node with demo pods: where the scheduler put them is its own business (the real one places them as it likes)
      const target = (await demoPods((p) => p.metadata?.labels?.app === 'gateway'))[0]!.spec!.nodeName!;
      const core = kube.core;
      await core.patchNode({ name: target, body: { spec: { taints: [{ key: 'example.com/keep', value: 'yes', effect: 'NoSchedule' }] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      const before = (await demoPods((p) => p.spec?.nodeName === target)).map((p) => p.metadata?.uid);
      expect(before.length).to.be.greaterThan(0);
      const { record, result } = await inject(builtinFaults['node-loss'], 'node-loss', { node: target, provider: 'taint-eviction', timeout: '10s' }, faultContext(kubeconfig, tmp.dir));
      const t = (result.data!.times as NodeLossTimes[])[0]!;
      expect(t).to.include({ node: target, notReadyMs: null, pods: before.length });
      expect(t.podsEvictedMs).to.be.a('number').and.below(10_000);
      expect(result.detail).to.match(new RegExp(`^eviction by taint, not a node loss: ${target}: stays Ready \\(taint\\), ${before.length} pods evicted after \\d+ ms$`));
      expect(result.data).to.include({ provider: 'taint-eviction', simulates: 'eviction-by-taint' });
      expect(record).to.deep.include({ provider: 'taint-eviction', taint: { key: TAINT_EVICTION_KEY, value: 'run-test', effect: 'NoExecute' } });
      expect(await demoPods((p) => before.includes(p.metadata?.uid) && !p.metadata?.deletionTimestamp)).to.deep.equal([]);
      expect(await taints(target)).to.deep.equal(['example.com/keep=yes:NoSchedule', `${TAINT_EVICTION_KEY}=run-test:NoExecute`]);
      console.log(`      taint: ${result.detail}`);
      const said = await builtinFaults['node-loss'].revert(record!, freshCtx());
      expect(said).to.equal(`removed the taint ${TAINT_EVICTION_KEY}=run-test:NoExecute from ${target}`);
      expect(await taints(target)).to.deep.equal(['example.com/keep=yes:NoSchedule']);
      await core.patchNode({ name: target, body: { spec: { taints: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await demoAvailable();
    });

    it('command provider: runs the hook and its revert with {{node}} filled in, and says what it could not see within the timeout', async () => {
      const log = path.join(tmp.dir, 'hook.log');
      const params = { node: 'node-3', command: `echo "down {{node}} $CRT_STEP" >> ${log}`, revertCommand: `echo "up {{node}}" >> ${log}`, timeout: '1s' };
      const { record, result } = await inject(builtinFaults['node-loss'], 'node-loss', params, faultContext(kubeconfig, tmp.dir));
      expect(await readFile(log, 'utf8')).to.equal('down node-3 step-1\n');
      expect(record).to.deep.include({ fault: 'node-loss', provider: 'command', nodes: ['node-3'], commands: [`echo "up node-3" >> ${log}`] });
      // the hook only logs: the node stays Ready and keeps its pods, which the result says
      // the pods were due after the grace period and their tolerations: Kubernetes' defaults here (the context gives no settings), 50 s + 5 s + 2 s
      expect(result.detail).to.match(/^node-3: still Ready after 1000 ms, (\d+ of \d+ pods not evicted after 1000 ms \(the plan's timeout ended before they were due by 57000 ms with the Kubernetes defaults\)|had no pods)$/);
      expect((result.data!.times as NodeLossTimes[])[0]!.notReadyMs).to.equal(null);
      expect(await builtinFaults['node-loss'].revert(record!, freshCtx())).to.equal(`ran \`echo "up node-3" >> ${log}\``);
      expect(await readFile(log, 'utf8')).to.equal('down node-3 step-1\nup node-3\n');
    });

    it('local provider under load through the gateway: the node turns NotReady, its pods are replaced elsewhere, and power-on makes it Ready', async () => {
      await demoAvailable();
      const gateway = await serviceUrl(kubeClients({ kubeconfig }), 'demo', 'gateway');
      const load = loadLoop(gateway);
      // no timeout in the step: the bound comes from the cluster's settings and the pods' tolerations
      const ctx = { ...faultContext(kubeconfig, tmp.dir), nodeTimings: { nodeMonitorPeriodMs: MONITOR_PERIOD_MS, nodeMonitorGracePeriodMs: GRACE_MS, defaultTolerationSeconds: TOLERATION_SEC } };
      const { plan, record, result } = await inject(builtinFaults['node-loss'], 'node-loss', { nodeOf: { namespace: 'demo', selector: 'app=gateway' }, count: 1, provider: 'local' }, ctx);
      const lost = (record!.nodes as string[])[0]!;
      expect(plan.targets).to.deep.equal([`node/${lost}`]);
      // the switches' base, which a revert from the record alone needs (the API server itself on builtin)
      expect(record).to.deep.equal({ fault: 'node-loss', provider: 'local', nodes: [lost], server: cluster.switchBase, set: { power: 'off' } });
      const t = (result.data!.times as NodeLossTimes[])[0]!;
      console.log(`      local: ${result.detail}`);
      const expectedMs = GRACE_MS + MONITOR_PERIOD_MS + TOLERATION_SEC * 1000;
      expect(result.data!.bounds).to.deep.equal([{ expectedMs, timeoutMs: expectedMs + 2 * MONITOR_PERIOD_MS + 10_000, timeoutFrom: 'derived', timingsFrom: 'cluster settings' }]);
      // the grace period counts from the last heartbeat, up to a heartbeat (and a monitor period) before the power-off
      expect(t.notReadyMs).to.be.within(GRACE_MS - 2 * HEARTBEAT_MS - MONITOR_PERIOD_MS, GRACE_MS + 4_000);
      expect(t.podsEvictedMs).to.be.within(t.notReadyMs!, t.notReadyMs! + TOLERATION_SEC * 1000 + 4_000);
      await until('3 ready gateway pods on the other nodes', async () => {
        const gw = await demoPods((p) => p.metadata?.labels?.app === 'gateway' && !p.metadata?.deletionTimestamp);
        return gw.length === 3 && gw.every((p) => p.spec?.nodeName !== lost && ready(p));
      }, cp === 'kubernetes' ? 90_000 : 30_000);
      load.mark();
      await until('answers once the pods were replaced', () => load.okAfterMark() >= 5, 10_000);
      const counts = await load.stop();
      console.log(`      load through the gateway: ${counts.ok} answered, ${counts.failed} failed`);
      expect(counts.okAfterStopMark, 'answers once the pods were replaced').to.be.greaterThan(0);
      // from the record alone: no clients in the context, the server comes from the record
      const { kube: _unused, ...withoutKube } = freshCtx();
      expect(await builtinFaults['node-loss'].revert(record!, withoutKube)).to.equal(`powered on ${lost}`);
      await until(`${lost} Ready again`, async () => ready(await node(lost)), 10_000);
    });
  });
}
