import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import type { KubeClients } from '../../../src/kube/index.js';
import { ClusterWatch } from '../../../src/runner/cluster-watch.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** A watch fed its samples by hand: recovery() only reads them. */
function watch(): ClusterWatch {
  return new ClusterWatch({ kube: {} as KubeClients, clock: new ManualClock(), log: silentLogger, run: 'r', case: 'PHY-02', layer: 'physical', namespaces: ['demo'], phase: () => 'fault', write: () => undefined });
}

const nodes = (t: number, ready: number, available: number) => ({ t, kind: 'nodes' as const, subject: 'nodes', desired: 3, ready, available, restarts: 0 });
const gw = (t: number, ready: number) => ({ t, kind: 'workload' as const, subject: 'deployment/demo/gateway', desired: 2, ready, available: ready, restarts: 0 });

describe('cluster-view recovery', () => {
  it('does not wait for the cordon a drain holds until its revert: the workloads\' return is the recovery', () => {
    const w = watch();
    // a drain at 1000: node-2 cordoned (Ready, unschedulable) until the end, its pod moved elsewhere by 4000
    w.samples.push(nodes(0, 3, 3), gw(0, 2), nodes(1000, 3, 2), gw(1100, 1), gw(4000, 2));
    const r = w.recovery(1000, 0);
    expect(r.affected).to.deep.equal(['deployment/demo/gateway']);
    expect(r).to.deep.include({ recoveredAtMs: 4000, recoveryTimeMs: 3000 });
  });

  it('still waits for a node that is not Ready (a node loss)', () => {
    const w = watch();
    w.samples.push(nodes(0, 3, 3), gw(0, 2), nodes(1000, 2, 2), gw(1100, 1), gw(4000, 2));
    expect(w.recovery(1000, 0)).to.deep.include({ affected: ['deployment/demo/gateway', 'nodes'], recoveredAtMs: null, recoveryTimeMs: null });
    w.samples.push(nodes(9000, 3, 3));
    expect(w.recovery(1000, 0)).to.deep.include({ recoveredAtMs: 9000, recoveryTimeMs: 8000 });
  });
});
