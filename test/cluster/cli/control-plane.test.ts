import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { crt } from '../../helpers/cli.js';
import { manifests, namespace, okDeployment, okService } from '../../helpers/manifests.js';
import { tempDir } from '../../helpers/tmp.js';

const plan = (controlPlane: string) => `apiVersion: crt/v1
metadata: {name: cp-small}
cluster:
  local:
    nodes: 1
    controlPlane: ${controlPlane}
    manifests: [web.yaml]
targets: {web: {service: demo/web}}
defaults:
  load: {target: web, path: /, timeout: 2s}
layers:
  logical:
    - id: CP-API
      title: API server down
      objective: web serves on without the API
      load: {rate: 10, duration: 16s}
      trigger:
        - {at: 3s, name: api-down, fault: control-plane, component: apiserver, revertAfter: 6s}
      expect:
        whole: {errorRate: 0%}
        probes:
          - {probe: deployment-available, name: web-available, namespace: demo, waitFor: 20s}
    - id: CP-QUORUM
      title: etcd quorum lost
      objective: web serves on without the quorum
      load: {rate: 10, duration: 14s}
      trigger:
        - {at: 3s, name: quorum-lost, fault: control-plane, component: etcd-quorum, revertAfter: 6s}
      expect:
        whole: {errorRate: 0%}
`;

describe('crt run with control-plane faults on the embedded cluster\'s real control plane', function () {
  this.timeout(300_000);
  let work: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => {
    work = await tempDir();
    await writeFile(path.join(work.dir, 'web.yaml'), manifests(namespace('demo'), okDeployment({ name: 'web', namespace: 'demo', replicas: 2 }), okService('web', 'demo')));
  });

  afterEach(async () => {
    await work?.remove();
  });

  it('refuses the plan on the builtin control plane (exit 2), at the step\'s component, before starting anything', async () => {
    await writeFile(path.join(work.dir, 'plan.yaml'), plan('builtin'));
    const r = await crt(['run', 'plan.yaml', '--out', 'runs'], { cwd: work.dir });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('plan.yaml:18:69 layers.logical[0].trigger[0].component: control-plane needs the embedded cluster\'s real control plane: cluster.local.controlPlane is builtin');
    expect(r.stderr).to.contain('set cluster.local.controlPlane: kubernetes');
  });

  it('passes both cases: the workload serves on, the run says the API is unavailable and back, and the journal has every fault reverted', async function () {
    await requireRealControlPlane(this);
    await writeFile(path.join(work.dir, 'plan.yaml'), plan('kubernetes'));
    const r = await crt(['run', 'plan.yaml', '--out', 'runs', '--run-id', 'cp-small'], { cwd: work.dir, timeoutMs: 280_000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/inject api-down: ok .*kube-apiserver killed at .*; API unavailable \(/);
    expect(r.stderr).to.match(/cluster view: API unavailable since \S+Z/);
    expect(r.stderr).to.match(/revert api-down: ok .*no change lost/);
    expect(r.stderr).to.match(/inject quorum-lost: ok .*stop etcd-1, etcd-2 .*2 of 3 etcd members.*the API refuses writes/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('PASSED (exit 0) — 2/2 cases passed');
    const journal = (await readFile(path.join(work.dir, 'runs', 'cp-small', 'journal.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: string; status: string });
    const last = new Map(journal.map((e) => [e.step, e.status]));
    expect([...last]).to.deep.equal([['api-down', 'reverted'], ['quorum-lost', 'reverted']]);
  });
});
