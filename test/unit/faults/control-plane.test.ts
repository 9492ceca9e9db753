import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError } from '../../../src/core/errors.js';
import { FaultError } from '../../../src/faults/index.js';
import { pickProcesses } from '../../../src/faults/control-plane.js';
import { loadPlan } from '../../../src/plan/index.js';
import { hasEtcdFault } from '../../../src/runner/cluster-session.js';
import { tempDir } from '../../helpers/tmp.js';

const plan = (cluster: string, steps: string): string => `apiVersion: crt/v1
metadata: {name: cp}
${cluster}
targets: {gateway: {url: 'http://127.0.0.1:8080'}}
layers:
  logical:
    - id: CP-01
      title: control plane
      objective: the gateway serves on
      load: {target: gateway, connections: 2, duration: 30s}
      trigger:
${steps}`;

async function problems(text: string): Promise<Array<[string, number, string, string | undefined]>> {
  const tmp = await tempDir();
  try {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, text);
    try {
      loadPlan(file, {});
    } catch (err) {
      if (err instanceof PlanError) return err.problems.map((p) => [p.path, p.line, p.message, p.hint]);
      throw err;
    }
    return [];
  } finally {
    await tmp.remove();
  }
}

const processes = (etcd: number) => [
  ...(etcd === 1 ? [{ id: 'etcd', component: 'etcd', state: 'running' }] : Array.from({ length: etcd }, (_, i) => ({ id: `etcd-${i}`, component: 'etcd', state: 'running' }))),
  { id: 'kube-apiserver', component: 'kube-apiserver', state: 'running' },
  { id: 'kube-controller-manager', component: 'kube-controller-manager', state: 'running' },
  { id: 'kube-scheduler', component: 'kube-scheduler', state: 'running' },
];

describe('fault control-plane: plan validation and what it stops', () => {
  it('takes every component on the embedded cluster\'s real control plane, and asks for 3 etcd members when a case stops etcd', async () => {
    const tmp = await tempDir();
    const file = path.join(tmp.dir, 'ok.yaml');
    await writeFile(file, plan('cluster: {local: {controlPlane: kubernetes}}', ['apiserver', 'etcd-member', 'etcd-quorum', 'scheduler', 'controller-manager']
      .map((c, i) => `        - {at: ${i}s, fault: control-plane, component: ${c}, revertAfter: 5s}\n`).join('')));
    const loaded = loadPlan(file, {}).plan;
    await tmp.remove();
    expect(loaded.cases[0]!.trigger.map((a) => [a.kind === 'control-plane' && a.params.component, a.revertAfterMs])).to.deep.equal([
      ['apiserver', 5000], ['etcd-member', 5000], ['etcd-quorum', 5000], ['scheduler', 5000], ['controller-manager', 5000],
    ]);
    expect(hasEtcdFault(loaded)).to.equal(true);
  });

  it('does not ask for 3 etcd members for an API server fault alone', async () => {
    const tmp = await tempDir();
    const file = path.join(tmp.dir, 'api.yaml');
    await writeFile(file, plan('cluster: {local: {controlPlane: kubernetes}}', '        - {at: 1s, fault: control-plane, component: apiserver}\n'));
    const loaded = loadPlan(file, {}).plan;
    await tmp.remove();
    expect(hasEtcdFault(loaded)).to.equal(false);
  });

  it('refuses it on the builtin control plane, at the component, saying it needs controlPlane: kubernetes', async () => {
    for (const cluster of ['cluster: {local: {nodes: 3}}', 'cluster: {local: {controlPlane: builtin}}']) {
      const found = await problems(plan(cluster, '        - {at: 1s, fault: control-plane, component: apiserver}\n'));
      expect(found.map(([p, line]) => [p, line])).to.deep.equal([['layers.logical[0].trigger[0].component', 12]]);
      expect(found[0]![2]).to.match(/^control-plane needs the embedded cluster's real control plane: cluster\.local\.controlPlane is builtin/);
      expect(found[0]![3]).to.contain('set cluster.local.controlPlane: kubernetes');
    }
  });

  it('takes provider command on a kubeconfig cluster, and asks for both commands', async () => {
    expect(await problems(plan('cluster: {kubeconfig: kc.yaml}', '        - {at: 1s, fault: control-plane, component: apiserver, command: ./stop.sh, revertCommand: ./start.sh}\n'))).to.deep.equal([]);
    const found = await problems(plan('cluster: {kubeconfig: kc.yaml}', '        - {at: 1s, fault: control-plane, component: scheduler, provider: command, command: ./stop.sh}\n'));
    expect(found.map(([p, , m]) => [p, m])).to.deep.equal([['layers.logical[0].trigger[0].command', 'revertCommand is required with provider: command']]);
  });

  it('refuses an unknown component with the list of components', async () => {
    const found = await problems(plan('cluster: {local: {controlPlane: kubernetes}}', '        - {at: 1s, fault: control-plane, component: kubelet}\n'));
    expect(found.map(([p]) => p)).to.deep.equal(['layers.logical[0].trigger[0].component']);
    expect(found[0]![2]).to.contain('apiserver, etcd-member, etcd-quorum, scheduler or controller-manager');
  });

  it('stops the last etcd member for etcd-member and a majority for etcd-quorum', () => {
    expect(pickProcesses('etcd-member', processes(3))).to.deep.equal(['etcd-2']);
    expect(pickProcesses('etcd-quorum', processes(3))).to.deep.equal(['etcd-1', 'etcd-2']);
    expect(pickProcesses('etcd-quorum', processes(1))).to.deep.equal(['etcd']);
    expect(pickProcesses('apiserver', processes(1))).to.deep.equal(['kube-apiserver']);
    expect(pickProcesses('controller-manager', processes(1))).to.deep.equal(['kube-controller-manager']);
  });

  it('refuses etcd-member on a one-member etcd (that loss is the quorum\'s), and a process already stopped', () => {
    expect(() => pickProcesses('etcd-member', processes(1))).to.throw(FaultError, 'control-plane etcd-member needs an etcd of 3 members (this control plane runs 1)');
    const down = processes(3).map((p) => (p.id === 'kube-scheduler' ? { ...p, state: 'stopped' } : p));
    expect(() => pickProcesses('scheduler', down)).to.throw(FaultError, 'control-plane: kube-scheduler not running already');
  });
});
