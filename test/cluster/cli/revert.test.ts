import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoordinationV1Api, NetworkingV1Api, Watch } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseJournal, outstandingEntries } from '../../../src/faults/index.js';
import { kubeClients, NODE_SWITCH_ANNOTATION, type KubeClients } from '../../../src/kube/index.js';
import { CRT_BIN, crt } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { controlPlanes, onControlPlane, requireControlPlane, timeoutOn } from '../../helpers/control-planes.js';

/** What the revert must give back: every object the faults below touch. */
async function clusterState(kube: KubeClients) {
  const policies = (await kube.kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'demo' })).items.map((p) => p.metadata?.name);
  const nodes = (await kube.core.listNode()).items.map((n) => ({
    name: n.metadata?.name,
    unschedulable: n.spec?.unschedulable ?? false,
    taints: (n.spec?.taints ?? []).filter((t) => t.key.startsWith('crt.io/') || t.key === 'node.kubernetes.io/unschedulable').map((t) => t.key),
  }));
  const gateway = await kube.apps.readNamespacedDeployment({ name: 'gateway', namespace: 'demo' });
  const customers = await kube.apps.readNamespacedDeployment({ name: 'customer-service', namespace: 'demo' });
  return { policies, nodes, gatewayEnv: gateway.spec?.template.spec?.containers[0]?.env, gatewayImage: gateway.spec?.template.spec?.containers[0]?.image, customerReplicas: customers.spec?.replicas };
}

/** Spawns `crt run` and SIGKILLs it once its journal holds `applied` entries for `count` faults. */
async function runAndKill(args: string[], cwd: string, journal: string, count: number): Promise<{ stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, [CRT_BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await until(`${count} faults applied (stderr: ${stderr.slice(-300)})`, () => {
      if (!existsSync(journal)) return false;
      return parseJournal(readFileSync(journal, 'utf8')).filter((e) => e.status === 'applied').length >= count;
    }, 90_000);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return { stderr };
}

/**
 * A killed run leaves its cluster lease live until 15 s after its last renewal: until then crt revert
 * and crt run leave its faults alone (test/cli/cluster-lease.test.ts). Waits for that.
 */
async function untilLeaseLapsed(kube: KubeClients): Promise<void> {
  const api = kube.kc.makeApiClient(CoordinationV1Api);
  await until('the killed run\'s lease lapsed', async () => {
    const lease = await api.readNamespacedLease({ name: 'crt-run-lock', namespace: 'default' }).catch(() => null);
    return !lease || Date.parse(String(lease.spec?.renewTime)) + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < Date.now();
  }, 30_000, 250);
}

for (const cp of controlPlanes()) {
  describe(`crt revert after crt run was killed with SIGKILL mid-fault, from the journal ConfigMap (another machine) (${onControlPlane(cp)})`, function () {
    this.timeout(timeoutOn(cp, 300_000));
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    let dir: string;
    let kubeconfig: string;
    let kube: KubeClients;

    let server: string;
    let context: string;

    before(async function () {
      await requireControlPlane(this, cp);
      tmp = await tempDir();
      dir = path.join(tmp.dir, '.crt');
      const up = await crt(['cluster', 'up', '--detach', '--demo', '--control-plane', cp, '--dir', dir], { cwd: tmp.dir, timeoutMs: 150_000 });
      expect(up.code, up.stderr).to.equal(0);
      kubeconfig = path.join(dir, 'kubeconfig');
      kube = kubeClients({ kubeconfig });
      // the builtin API server on http://127.0.0.1, the real one behind TLS, each with its own context name
      server = kube.server.replace(/:\d+$/, ':');
      context = kube.kc.getCurrentContext();
    });

    after(async () => {
      if (!tmp) return;
      await crt(['cluster', 'down', '--dir', dir], { cwd: tmp.dir });
      await tmp.remove();
    });

    const plan = (faults: string) => `
apiVersion: crt/v1
kind: Plan
metadata: {name: killed}
cluster: {kubeconfig: .crt/kubeconfig, namespaces: [demo]}
targets:
  gw: {service: demo/gateway}
layers:
  logical:
    - id: LOG-KILLED
      title: every kind of fault in place when crt dies
      objective: crt revert puts the cluster back
      load: {target: gw, method: GET, path: /health, rate: 5, duration: 120s}
      trigger:
${faults}`;

    it('puts back the policy, replicas, template, cordon and taint, and runs the exec revert; crt run refuses to start meanwhile', async () => {
      const before = await clusterState(kube);
      const marker = path.join(tmp.dir, 'exec-reverted');
      await writeFile(path.join(tmp.dir, 'plan.yaml'), plan(`
        - {at: 0s, fault: network-cut, name: cut, namespace: demo, selector: app=customer-service, direction: ingress, verify: false}
        - {at: 0s, fault: scale, name: scale, namespace: demo, workload: deployment/customer-service, replicas: 1}
        - {at: 0s, fault: exec, name: hook, command: "true", revertCommand: ${JSON.stringify(`node -e "require('fs').writeFileSync('${marker}', 'x')"`)}}
        - {at: 0s, fault: node-loss, name: taint, provider: taint, node: node-2, timeout: 2s}
        - {at: 1s, fault: node-drain, name: drain, node: node-3, timeout: 60s}
        - {at: 1s, fault: rollout, name: roll, namespace: demo, deployment: gateway, action: env, env: {CRT_TEST: "1"}, timeout: 60s}
`));
      const journal = path.join(tmp.dir, 'reports', 'killed-1', 'journal.jsonl');
      await runAndKill(['run', 'plan.yaml', '--run-id', 'killed-1'], tmp.dir, journal, 6);
      await untilLeaseLapsed(kube);
      const during = await clusterState(kube);
      expect(during.policies.some((n) => n?.startsWith('crt-cut-cut-isolate-'))).to.equal(true);
      expect(during.customerReplicas).to.equal(1);
      expect(during.nodes.find((n) => n.name === 'node-3')?.unschedulable).to.equal(true);
      expect(during.nodes.find((n) => n.name === 'node-2')?.taints).to.include('crt.io/taint-eviction');
      expect(during.gatewayEnv).to.deep.include({ name: 'CRT_TEST', value: '1' });
      const cm = await kube.core.readNamespacedConfigMap({ name: 'crt-journal-killed-1', namespace: 'default' });
      expect(cm.metadata?.labels?.['crt.io/journal']).to.equal('true');
      expect(outstandingEntries(parseJournal(cm.data!['journal.jsonl']!)).map((e) => e.step).sort()).to.deep.equal(['cut', 'drain', 'hook', 'roll', 'scale', 'taint']);

      // another machine: no run folder, only the cluster
      const elsewhere = path.join(tmp.dir, 'elsewhere');
      await mkdir(elsewhere);
      const list = await crt(['revert', '--list', '--kubeconfig', kubeconfig], { cwd: elsewhere });
      expect(list.code, list.stderr).to.equal(0);
      expect(list.stdout).to.match(/^killed-1 \(configmap default\/crt-journal-…\)\n/);
      expect(list.stdout.match(/^ {2}LOG-KILLED\//gm)).to.have.length(6);

      await writeFile(path.join(tmp.dir, 'other.yaml'), plan(`        - {at: 0s, fault: scale, namespace: demo, workload: deployment/gateway, replicas: 2}`));
      const refused = await crt(['run', 'other.yaml', '--run-id', 'refused'], { cwd: tmp.dir, timeoutMs: 60_000 });
      expect(refused.code, refused.stderr).to.equal(3);
      expect(refused.stderr).to.contain(`error: faults of earlier runs are still in place on ${server}`);
      expect(refused.stderr).to.contain('killed-1: LOG-KILLED/cut network-cut (applied');
      expect(refused.stderr).to.match(/hint: revert them first: crt revert --all --kubeconfig .*\.crt\/kubeconfig — or run with --revert-first/);

      const reverted = await crt(['revert', '--run', 'killed-1', '--kubeconfig', kubeconfig], { cwd: elsewhere, timeoutMs: 120_000 });
      expect(reverted.code, reverted.stderr).to.equal(0);
      expect(reverted.stderr).to.contain('run killed-1: 6 to revert');
      // newest first: the rollout and the drain (at 1s) before the others
      const order = [...reverted.stderr.matchAll(/^ {2}reverted LOG-KILLED\/(\w+)/gm)].map((m) => m[1]);
      expect(order).to.have.length(6);
      expect(order.slice(0, 2).sort()).to.deep.equal(['drain', 'roll']);
      expect(existsSync(marker), 'the exec revert ran').to.equal(true);
      await until('customer-service back to 3 replicas', async () => (await clusterState(kube)).customerReplicas === 3);
      expect(await clusterState(kube)).to.deep.equal(before);
      const after = await kube.core.readNamespacedConfigMap({ name: 'crt-journal-killed-1', namespace: 'default' });
      expect(after.metadata?.annotations?.['crt.io/outstanding']).to.equal('0');

      const nothing = await crt(['revert', '--all', '--kubeconfig', kubeconfig], { cwd: elsewhere });
      expect(nothing.code).to.equal(0);
      expect(nothing.stderr).to.contain('nothing to revert');
    });

    it('brings up the link of a node a killed run cut (node-loss mode: link)', async () => {
      // crt's link switch of node-1, where the Node's annotation says (the builtin API server, or the real cluster's switch server)
      const switchBase = (await kube.core.readNode({ name: 'node-1' })).metadata?.annotations?.[NODE_SWITCH_ANNOTATION] ?? kube.server;
      const linkState = async (): Promise<unknown> => ((await (await fetch(`${switchBase}/crt/v1/nodes/node-1/link`)).json()) as { state: string }).state;
      await writeFile(path.join(tmp.dir, 'link.yaml'), plan(`        - {at: 0s, fault: node-loss, name: link, mode: link, node: node-1, timeout: 1s}`));
      await runAndKill(['run', 'link.yaml', '--run-id', 'killed-link'], tmp.dir, path.join(tmp.dir, 'reports', 'killed-link', 'journal.jsonl'), 1);
      await untilLeaseLapsed(kube);
      expect(await linkState()).to.equal('down');
      const elsewhere = path.join(tmp.dir, 'elsewhere-link');
      await mkdir(elsewhere);
      const reverted = await crt(['revert', '--run', 'killed-link', '--kubeconfig', kubeconfig], { cwd: elsewhere, timeoutMs: 60_000 });
      expect(reverted.code, reverted.stderr).to.equal(0);
      expect(reverted.stderr).to.match(/^ {2}reverted LOG-KILLED\/link node-loss.*: link up on node-1$/m);
      expect(await linkState()).to.equal('up');
    });

    it('crt run --revert-first reverts what a killed run left, then runs', async () => {
      await writeFile(path.join(tmp.dir, 'cut.yaml'), plan(`        - {at: 0s, fault: network-cut, name: cut, namespace: demo, selector: app=customer-service, verify: false}`));
      await runAndKill(['run', 'cut.yaml', '--run-id', 'killed-2'], tmp.dir, path.join(tmp.dir, 'reports', 'killed-2', 'journal.jsonl'), 1);
      await untilLeaseLapsed(kube);
      expect((await clusterState(kube)).policies.length).to.equal(1);
      await writeFile(path.join(tmp.dir, 'short.yaml'), `
apiVersion: crt/v1
kind: Plan
metadata: {name: short}
cluster: {kubeconfig: .crt/kubeconfig}
layers:
  logical:
    - {id: LOG-1, title: a probe, objective: runs, conditions: [{probe: deployment-available, namespace: demo, deployment: gateway}]}
`);
      const r = await crt(['run', 'short.yaml', '--run-id', 'after', '--revert-first'], { cwd: tmp.dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).to.equal(0);
      // the killed run's lease had lapsed: taken over, and said so
      expect(r.stderr).to.match(/took over the run lease default\/crt-run-lock at \S+ from run killed-2 on .* it expired at \S+Z/);
      expect(r.stderr, r.stderr).to.match(/--revert-first: reverted LOG-KILLED\/cut network-cut \((intended|applied) .*\): .*: deleted NetworkPolicy crt-cut-cut-isolate-/);
      expect((await clusterState(kube)).policies).to.deep.equal([]);
      // the run folder's journal of the killed run was updated too
      const local = parseJournal(readFileSync(path.join(tmp.dir, 'reports', 'killed-2', 'journal.jsonl'), 'utf8'));
      expect(local.at(-1)?.status).to.equal('reverted');
    });

    it('--dry-run resolves each fault against the live cluster and changes nothing (watched)', async () => {
      await writeFile(path.join(tmp.dir, 'dry.yaml'), plan(`
        - {at: 0s, fault: pod-kill, name: kill, namespace: demo, selector: app=gateway, count: 2, seed: 5}
        - {at: 0s, fault: network-cut, name: cut, namespace: demo, from: app=gateway, to: app=customer-service}
        - {at: 1s, fault: node-drain, name: drain, node: node-1}
        - {at: 1s, fault: scale, name: scale, namespace: demo, workload: deployment/gateway, replicas: 1}
`));
      const seen: string[] = [];
      const watch = new Watch(kube.kc);
      const paths = ['/api/v1/pods', '/apis/apps/v1/deployments', '/apis/networking.k8s.io/v1/networkpolicies', '/api/v1/configmaps'];
      const before = await clusterState(kube);
      const rv = (await kube.core.listNamespace()).metadata?.resourceVersion;
      const requests = await Promise.all(paths.map((p) => watch.watch(p, { resourceVersion: rv }, (type, obj: { metadata?: { name?: string } }) => {
        if (type !== 'BOOKMARK' && !(p === '/api/v1/pods' && type === 'MODIFIED')) seen.push(`${type} ${p} ${obj.metadata?.name}`);
      }, () => undefined)));
      try {
        const r = await crt(['run', 'dry.yaml', '--dry-run'], { cwd: tmp.dir });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`resolved against ${kube.server} (context ${context}), read-only:`);
        expect(r.stdout).to.match(/LOG-KILLED\/kill: would kill 2 pod\(s\) of app=gateway in demo: gateway-\S+, gateway-\S+ \(seed 5\)\n {6}would touch: pod\/demo\/gateway-/);
        expect(r.stdout).to.match(/LOG-KILLED\/cut: would cut app=gateway → app=customer-service in demo \(ingress policy\): NetworkPolicy crt-cut-cut-in-\w+\n {6}would touch: networkpolicy\/demo\/crt-cut-cut-in-\w+, pod\/demo\/customer-service-/);
        expect(r.stdout).to.match(/LOG-KILLED\/drain: would .*node-1/);
        expect(r.stdout).to.match(/LOG-KILLED\/scale: would scale deployment\/gateway in demo from 3 replica\(s\) to 1 replica\(s\)/);
        // the watches work: a change made now is seen
        await kube.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-dry-run' } } });
        await until('the watch sees a change', () => seen.includes('ADDED /api/v1/configmaps after-dry-run'));
      } finally {
        for (const req of requests) req.abort();
      }
      expect(seen, 'watch events during the dry run').to.deep.equal(['ADDED /api/v1/configmaps after-dry-run']);
      await kube.core.deleteNamespacedConfigMap({ name: 'after-dry-run', namespace: 'default' });
      expect(await clusterState(kube)).to.deep.equal(before);
    });

    it('refuses a context or namespace outside the plan\'s allowlists before touching anything (exit 2)', async () => {
      await writeFile(path.join(tmp.dir, 'ns.yaml'), plan(`        - {at: 0s, fault: scale, namespace: kube-system, workload: deployment/coredns, replicas: 0}`));
      const ns = await crt(['run', 'ns.yaml', '--run-id', 'ns'], { cwd: tmp.dir });
      expect(ns.code, ns.stderr).to.equal(2);
      expect(ns.stderr).to.match(/^ns\.yaml:\d+:\d+ layers\.logical\[\d+\]\.trigger\[0\]\.namespace: namespace kube-system is not in cluster\.namespaces \(demo\)\n/m);
      expect(existsSync(path.join(tmp.dir, 'reports', 'ns')), 'no run folder').to.equal(false);

      await writeFile(path.join(tmp.dir, 'ctx.yaml'), plan('        - {at: 0s, fault: scale, namespace: demo, workload: deployment/gateway, replicas: 0}').replace('namespaces: [demo]', 'contexts: [production-eu]'));
      const ctx = await crt(['run', 'ctx.yaml', '--run-id', 'ctx'], { cwd: tmp.dir });
      expect(ctx.code, ctx.stderr).to.equal(2);
      expect(ctx.stderr).to.contain(`error: the kubeconfig context is "${context}", and this plan may act only on "production-eu" (cluster.contexts)`);
      expect((await kube.apps.readNamespacedDeployment({ name: 'gateway', namespace: 'demo' })).spec?.replicas).to.equal(3);
    });
  });
}
