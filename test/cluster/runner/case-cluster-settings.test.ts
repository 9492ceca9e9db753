import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/index.js';
import { FileJournalStore, Journal } from '../../../src/faults/index.js';
import type { NodeLossTimes } from '../../../src/faults/node-loss-watch.js';
import { FileSink, SinkSet } from '../../../src/metrics/index.js';
import { loadPlan, selectAll } from '../../../src/plan/index.js';
import { renderCaseMarkdown } from '../../../src/report/markdown-case.js';
import type { CaseEvent } from '../../../src/results/types.js';
import { runPlan } from '../../../src/runner/index.js';
import { writePlan } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn, type ControlPlaneKind } from '../../helpers/control-planes.js';

/**
 * Prints how many times node-1's Ready heartbeat (lastHeartbeatTime, whole seconds) changed in WINDOW_MS,
 * watched with kubectl through the run's cluster (KUBECONFIG, with its credentials on the real control
 * plane): about one per second at a 500 ms heartbeat, at most one at the plan's 8 s.
 */
const HEARTBEATS_SCRIPT = `
import { spawn } from 'node:child_process';
const kubectl = spawn('kubectl', ['get', 'node', 'node-1', '--watch', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}{"\\\\n"}'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
kubectl.stdout.on('data', (d) => (out += d));
setTimeout(() => {
  kubectl.kill();
  const stamps = new Set(out.split('\\n').filter(Boolean));
  console.log('heartbeat changes: ' + (stamps.size - 1));
}, Number(process.env.WINDOW_MS));
`;

const heartbeatProbe = (name: string) => `{probe: command, name: ${name}, command: "node heartbeats.mjs", env: {WINDOW_MS: "4000"}, timeout: 15s}`;

/** Two node-loss cases: A with the plan's slow detection, B with fast detection of its own; C watches heartbeats after B. */
const plan = (url: string, cp: ControlPlaneKind) => `
apiVersion: crt/v1
kind: Plan
metadata: {name: per-case-detection}
cluster:
  local:
    controlPlane: ${cp}
    nodes: 3
    settings: {heartbeat: 8s, nodeMonitorGracePeriod: 20s, nodeMonitorPeriod: 500ms}
targets:
  web: {url: ${JSON.stringify(url)}}
layers:
  physical:
    - id: SLOW
      title: node loss with the plan's realistic detection
      objective: the node is not seen lost within seconds
      load: {target: web, rate: 10, duration: 5s}
      trigger:
        - {at: 1s, name: loss, fault: node-loss, node: node-3, provider: local, timeout: 3s, revertAfter: 3500ms}
      expect: {whole: {requests: {min: 1}}}
    - id: FAST
      title: node loss with tuned fast detection
      objective: the node is seen lost within 3 s
      clusterSettings: {heartbeat: 500ms, nodeMonitorGracePeriod: 2s}
      conditions:
        - {probe: nodes-ready, count: 3, waitFor: 20s}
        - ${heartbeatProbe('fast-heartbeats')}
      load: {target: web, rate: 10, duration: 5s}
      trigger:
        - {at: 1s, name: loss, fault: node-loss, node: node-2, provider: local, timeout: 4s, revertAfter: 3500ms}
      expect: {whole: {requests: {min: 1}}}
    - id: AFTER
      title: heartbeats once the fast case is over
      objective: the kubelets are back at the plan's period
      conditions:
        - ${heartbeatProbe('plan-heartbeats')}
`;

for (const cp of controlPlanes()) describe(`per-case clusterSettings on the embedded cluster (${onControlPlane(cp)})`, function () {
  this.timeout(timeoutOn(cp, 120_000));
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: Server;

  beforeEach(async function () {
    await requireControlPlane(this, cp);
    tmp = await tempDir();
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    if (!tmp) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await tmp.remove();
  });

  it('detects a lost node within 3 s in the case with fast settings only, and puts the plan\'s timings back after it', async () => {
    const file = await writePlan(tmp.dir, plan(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, cp));
    await writeFile(path.join(tmp.dir, 'heartbeats.mjs'), HEARTBEATS_SCRIPT);
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    const events: CaseEvent[] = [];
    const sinks = new SinkSet([new FileSink(tmp.dir)], log);
    const { plan: loaded } = loadPlan(file, {});
    const { result } = await runPlan(loaded, loaded.cases, {
      runId: 'test-run', dir: tmp.dir, clock: systemClock, log, signal: new AbortController().signal, sinks,
      journal: new Journal('test-run', [new FileJournalStore(path.join(tmp.dir, 'journal.jsonl'))]),
      observer: { caseEvent: (_c, e) => events.push(e) }, selection: selectAll, command: 'test',
    });
    await sinks.close();
    const [slow, fast, after] = result.cases;
    const lossOf = (id: string): NodeLossTimes => {
      const inject = events.find((e) => e.kind === 'inject' && e.name === 'loss' && result.cases.find((c) => c.id === id)!.events.includes(e));
      return (inject?.data?.times as NodeLossTimes[])[0]!;
    };
    const slowLoss = lossOf('SLOW');
    const fastLoss = lossOf('FAST');
    const changes = (c: typeof after, name: string) => Number(/heartbeat changes: (\d+)/.exec(c!.conditions.find((p) => p.name === name)?.detail ?? '')?.[1]);
    console.log(`      SLOW: ${JSON.stringify(slowLoss)}\n      FAST: ${JSON.stringify(fastLoss)}`);
    console.log(`      heartbeat changes in 4 s: during FAST ${changes(fast, 'fast-heartbeats')}, after it ${changes(after, 'plan-heartbeats')}`);

    expect(slow!.verdict, slow!.reason).to.equal('passed');
    expect(slowLoss.notReadyMs, 'grace 20 s: not detected within the 3 s the fault watched').to.equal(null);
    expect(slow!.clusterSettings).to.equal(undefined);

    expect(fast!.verdict, fast!.reason).to.equal('passed');
    expect(fastLoss.notReadyMs).to.be.a('number').and.to.be.below(3000);
    expect(fast!.clusterSettings).to.deep.equal({
      applied: { heartbeatMs: 500, nodeMonitorPeriodMs: 500, nodeMonitorGracePeriodMs: 2000, defaultTolerationSeconds: 300 },
      set: ['heartbeat', 'nodeMonitorGracePeriod'],
      plan: { heartbeatMs: 8000, nodeMonitorPeriodMs: 500, nodeMonitorGracePeriodMs: 20_000, defaultTolerationSeconds: 300 },
    });
    expect(changes(fast, 'fast-heartbeats'), 'the measurement sees a 500 ms heartbeat').to.be.at.least(3);

    expect(after!.verdict, after!.reason).to.equal('passed');
    expect(changes(after, 'plan-heartbeats'), 'back at the plan\'s 8 s heartbeat').to.be.at.most(1);
    // builtin: crt's node lifecycle controller takes the new grace; real: kube-controller-manager restarted with it
    const controller = cp === 'kubernetes'
      ? logs.filter((l) => l.msg === 'control plane reconfigured').map((l) => l.nodeMonitorGracePeriodMs)
      : logs.filter((l) => l.msg === 'node monitor timings changed').map((l) => l.graceMs);
    expect(controller, 'the node lifecycle controller\'s grace: the case\'s, then the plan\'s').to.deep.equal([2000, 20_000]);

    const md = renderCaseMarkdown(fast!, null);
    expect(md).to.include('Embedded cluster settings for this case').and.to.include('| nodeMonitorGracePeriod | 2s | 20s | this case |');
    expect(md).to.include('pods created before keep the tolerations');
  });
});
